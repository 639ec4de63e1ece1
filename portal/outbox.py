"""The outbox: work (an SMS, a push, a job) written in the caller's transaction, enqueued after commit.

Infrastructure below every feature: the case core queues its automatic review here, accounts the sign-in
code SMS, notifications the customer's news, payouts their gateway calls.

The database is the record: a row is `pending` until a worker has sent it (`sent`) or has given up
after its retries (`failed`, shown to staff with a retry button), or until later news replaced it before it
was sent (`superseded`: never sent, whatever runs its job). Redis only carries the work. A row with
`send_after` waits until then (RQ's scheduler enqueues it; the sweep catches it if that is lost). The
RQ job id is `outbox-<row id>`, also the SMS provider's de-duplication key, so a job enqueued twice
(relay and sweep, a crash and a restart) is still one message.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import ForeignKey, Index, String, Text, event, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.dbtypes import JsonData
from portal.extensions import db
from portal.queueing import DEFAULT, NOTIFICATIONS, get_queue, job_name, redis_connection

log = logging.getLogger(__name__)

# Backoff between tries of one job (RQ's scheduler re-runs it); after these the row is `failed`.
RETRY_INTERVALS = [5, 30, 120, 600]
# A provider call that takes longer than this is treated as lost (the job is abandoned and retried).
JOB_TIMEOUT = 60
# A row that should have run this long ago and is not sent is looked at again by the sweep.
SWEEP_GRACE = timedelta(seconds=30)
# A job still marked as started this long after it was due belongs to a dead worker.
STUCK_AFTER = timedelta(minutes=3)
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}

Pending = tuple[int, str]  # (outbox id, channel)
Waiting = tuple[int, str, datetime | None]  # (outbox id, channel, send_after)
SUPERSEDED = "superseded"
_PHONE_CHANNELS = ("sms", "push")


class OutboxItem(db.Model):
    """Work written in the same transaction as the change that caused it; the relay enqueues it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms, push, job
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("refund_cases.id"))
    recipient: Mapped[str] = mapped_column(String(64), default="")
    template: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JsonData, default=dict)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    # pending, sent, failed; rerouted: a push whose APP is gone, sent by SMS instead;
    # superseded: later news about the same case replaced it while it waited (never sent)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Why a failed row failed: retries_spent, give_up or fix_settings (the provider's verdict).
    failure: Mapped[str] = mapped_column(String(16), default="", server_default="")
    provider_ref: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not before this time (case news waits to be coalesced, outbox.coalesce); None: at once.
    send_after: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


def add_sms(
    phone: str,
    template: str,
    params: dict,
    locale: str,
    customer_id: int | None = None,
    case_id: int | None = None,
    send_after: datetime | None = None,
) -> OutboxItem:
    """Queue an SMS as part of the current transaction (at once, or not before `send_after`)."""
    return _add_message("sms", phone, template, params, locale, customer_id, case_id, send_after)


def add_push(
    recipient: str,
    template: str,
    params: dict,
    locale: str,
    customer_id: int | None = None,
    case_id: int | None = None,
    send_after: datetime | None = None,
) -> OutboxItem:
    """Queue an APP push (sent by portal.notifications.push) as part of the current transaction."""
    return _add_message("push", recipient, template, params, locale, customer_id, case_id, send_after)


def _add_message(
    channel: str,
    recipient: str,
    template: str,
    params: dict,
    locale: str,
    customer_id: int | None,
    case_id: int | None,
    send_after: datetime | None,
) -> OutboxItem:
    now = utcnow()
    item = OutboxItem(
        channel=channel,
        recipient=recipient,
        template=template,
        params=params,
        locale=locale,
        customer_id=customer_id,
        case_id=case_id,
        created_at=now,
        send_after=send_after,
        # The sweep looks at a waiting row only once its time has come.
        next_attempt_at=max(now, send_after) if send_after is not None else now,
    )
    db.session.add(item)
    return item


def supersede_waiting(case_id: int, since: datetime) -> int:
    """Mark the case's messages that wait to be sent (written since `since`) as superseded; returns how many.

    Called in the transaction that writes the news replacing them. Only rows written to wait (send_after
    set) are replaced: a sign-in code or an answer from customer service never is. A row a worker is
    sending right now is locked and skipped (PostgreSQL): it goes out, and the new news follows it.
    """
    replaced = 0
    for obj in db.session.new:  # written earlier in this same transaction
        if (
            isinstance(obj, OutboxItem)
            and obj.case_id == case_id
            and obj.channel in _PHONE_CHANNELS
            and obj.send_after is not None
            and obj.status in (None, "pending")
        ):
            obj.status = SUPERSEDED
            replaced += 1
    with db.session.no_autoflush:
        rows = db.session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.case_id == case_id,
                OutboxItem.status == "pending",
                OutboxItem.channel.in_(_PHONE_CHANNELS),
                OutboxItem.send_after.is_not(None),
                OutboxItem.created_at >= since,
            )
            .with_for_update(skip_locked=True)
        ).all()
    for row in rows:
        row.status = SUPERSEDED
    return replaced + len(rows)


def add_job(func: Callable[..., object], *ids: int, case_id: int | None = None) -> OutboxItem:
    """Queue background work (a job function taking ids) as part of the current transaction."""
    item = OutboxItem(channel="job", template=job_name(func), params={"args": list(ids)}, case_id=case_id)
    db.session.add(item)
    return item


def init_app(app: Flask, deliver: Callable[[int], object]) -> None:
    """Name the job that delivers one row (worker.jobs.deliver_outbox): the relay and the sweep enqueue it."""
    app.extensions["outbox.deliver"] = deliver


def job_id_for(item_id: int) -> str:
    """The RQ job id of an outbox row, and the SMS provider's de-duplication key (OutId)."""
    return f"outbox-{item_id}"


def queue_for(channel: str) -> str:
    """Messages to people go on their own queue, so a backlog of other work never delays them."""
    return DEFAULT if channel == "job" else NOTIFICATIONS


def enqueue_items(items: Iterable[Waiting | Pending | int], mark: bool = False) -> int:
    """Hand outbox rows (ids, (id, channel) pairs, or (id, channel, send_after)) to RQ; returns how many
    (0 when Redis is down). A row whose send_after is still to come is scheduled for then.

    The relay (hot path, right after the caller's commit) writes nothing back: whether a row reached
    Redis is asked of Redis by the sweep. The sweep marks what it re-enqueues (`mark`).
    """
    triples = [_waiting(item) for item in items]
    pairs = [(item_id, channel) for item_id, channel, _ in triples]
    if not pairs or not current_app.config["RQ_ENABLED"]:
        return 0
    deliver = current_app.extensions["outbox.deliver"]
    now = utcnow()
    try:
        connection = redis_connection()
        for item_id, channel, send_after in triples:
            queue = get_queue(queue_for(channel), connection)
            options = {
                "args": (item_id,),
                "job_id": job_id_for(item_id),
                "retry": Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                "result_ttl": 3600,
                "failure_ttl": 7 * 86400,
            }
            if send_after is not None and send_after > now:
                # RQ's scheduler (run by every worker) enqueues it then.
                queue.enqueue_at(send_after.replace(tzinfo=UTC), deliver, job_timeout=JOB_TIMEOUT, **options)
            else:
                queue.enqueue_call(deliver, timeout=JOB_TIMEOUT, **options)
    except Exception as exc:  # Redis down: the rows stay pending and the sweep will send them.
        log.warning("Could not enqueue outbox items %s: %s", [i for i, _ in pairs], exc)
        return 0
    if mark:
        now = utcnow()
        ids = [item_id for item_id, _ in pairs]
        with db.engine.begin() as conn:
            conn.execute(
                update(OutboxItem).where(OutboxItem.id.in_(ids)).values(enqueued_at=now, next_attempt_at=now)
            )
    return len(pairs)


def _waiting(item: Waiting | Pending | int) -> Waiting:
    if not isinstance(item, tuple):
        return item, "sms", None
    if len(item) == 2:
        return item[0], item[1], None
    return item


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Re-enqueue pending rows that were due a while ago and that RQ no longer holds a live job for."""
    now = now or utcnow()
    rows = db.session.execute(
        select(OutboxItem.id, OutboxItem.channel, OutboxItem.next_attempt_at)
        .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now - SWEEP_GRACE)
        .order_by(OutboxItem.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    if not rows or not current_app.config["RQ_ENABLED"]:
        return 0
    try:
        connection = redis_connection()
        lost = [(row.id, row.channel) for row in rows if _lost(connection, row.id, row.next_attempt_at, now)]
    except Exception as exc:
        log.warning("Outbox sweep: Redis unreachable: %s", exc)
        return 0
    return enqueue_items(lost, mark=True)


def _lost(connection, item_id: int, due_at: datetime, now: datetime) -> bool:
    """Whether RQ holds no live job for the row: never enqueued, expired, failed, or on a dead worker."""
    try:
        job = Job.fetch(job_id_for(item_id), connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return True  # the relay never reached Redis, or Redis lost it
    status = job.get_status(refresh=False)
    if status == JobStatus.SCHEDULED:
        return _schedule_lost(connection, job, now)
    if status in _WAITING:
        return False
    if status == JobStatus.STARTED:
        started = job.started_at
        if started is not None and started.tzinfo is not None:
            started = started.astimezone(UTC).replace(tzinfo=None)
        return now - (started or due_at) > STUCK_AFTER
    return True  # finished without marking the row sent, failed, stopped, canceled


def _schedule_lost(connection, job: Job, now: datetime) -> bool:
    """A scheduled retry is alive only while RQ's schedule holds it and its time has not long passed.

    Redis may lose the schedule's key while keeping the job (a restart from an older snapshot), and a
    schedule whose time passed long ago means no scheduler is moving it.
    """
    registry = ScheduledJobRegistry(job.origin, connection=connection, serializer=JSONSerializer)
    try:
        when = registry.get_scheduled_time(job.id)
    except NoSuchJobError:
        return True
    return now - when.astimezone(UTC).replace(tzinfo=None) > STUCK_AFTER


def retry_item(item_id: int) -> OutboxItem | None:
    """A staff retry of a failed row: pending again, enqueued by the relay after the caller commits."""
    item = db.session.get(OutboxItem, item_id)
    if item is None or item.status != "failed":
        return None
    item.status, item.failure = "pending", ""
    item.next_attempt_at = item.enqueued_at = utcnow()
    db.session.info.setdefault("outbox_ids", []).append((item.id, item.channel))
    return item


def failed_items(limit: int = 100) -> list[OutboxItem]:
    """Rows the workers gave up on, newest first (the staff notification failures page)."""
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(OutboxItem.status == "failed")
            .order_by(OutboxItem.id.desc())
            .limit(limit)
        )
    )


def superseded_items(limit: int = 50) -> list[OutboxItem]:
    """Messages later news replaced before they were sent, newest first (never sent; nothing to retry)."""
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(OutboxItem.status == SUPERSEDED)
            .order_by(OutboxItem.id.desc())
            .limit(limit)
        )
    )


def stuck_items(now: datetime | None = None, limit: int = 100) -> list[OutboxItem]:
    """Pending rows much older than the sweep would allow: the workers or Redis are not keeping up."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now - STUCK_AFTER)
            .order_by(OutboxItem.id)
            .limit(limit)
        )
    )


# The relay: after each commit, enqueue the outbox rows that the transaction created.
@event.listens_for(FlaskSession, "after_flush")
def _collect_new_items(session: FlaskSession, flush_context) -> None:
    new = [(obj.id, obj.channel, obj.send_after) for obj in session.new if isinstance(obj, OutboxItem)]
    if new:
        session.info.setdefault("outbox_ids", []).extend(new)


@event.listens_for(FlaskSession, "after_commit")
def _relay_after_commit(session: FlaskSession) -> None:
    pending = session.info.pop("outbox_ids", None)
    if pending:
        enqueue_items(pending)


@event.listens_for(FlaskSession, "after_soft_rollback")
def _forget_after_rollback(session: FlaskSession, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("outbox_ids", None)
