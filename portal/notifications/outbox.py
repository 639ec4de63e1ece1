"""Write notifications to the outbox in the caller's transaction; the relay enqueues them after commit."""

import logging
from datetime import timedelta

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from rq import Retry
from sqlalchemy import event, or_, select

from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import OutboxItem
from portal.queueing import NOTIFICATIONS, enqueue, redis_connection

log = logging.getLogger(__name__)

DELIVER_JOB = "worker.jobs.deliver_outbox"
# Backoff between tries of one job; the sweep starts a new round after these are spent.
RETRY_INTERVALS = [5, 30, 120, 600]
SWEEP_GRACE = timedelta(seconds=30)


def add_sms(
    phone: str,
    template: str,
    params: dict,
    locale: str,
    customer_id: int | None = None,
    case_id: int | None = None,
) -> OutboxItem:
    """Queue an SMS as part of the current transaction."""
    item = OutboxItem(
        channel="sms",
        recipient=phone,
        template=template,
        params=params,
        locale=locale,
        customer_id=customer_id,
        case_id=case_id,
    )
    db.session.add(item)
    return item


def add_push(
    recipient: str,
    template: str,
    params: dict,
    locale: str,
    customer_id: int | None = None,
    case_id: int | None = None,
) -> OutboxItem:
    """Queue an APP push (sent by portal.embed.push) as part of the current transaction."""
    item = OutboxItem(
        channel="push",
        recipient=recipient,
        template=template,
        params=params,
        locale=locale,
        customer_id=customer_id,
        case_id=case_id,
    )
    db.session.add(item)
    return item


def add_job(func_path: str, *ids: int, case_id: int | None = None) -> OutboxItem:
    """Queue background work (a job function taking ids) as part of the current transaction."""
    item = OutboxItem(channel="job", template=func_path, params={"args": list(ids)}, case_id=case_id)
    db.session.add(item)
    return item


def job_id_for(item_id: int) -> str:
    return f"outbox-{item_id}"


def enqueue_items(item_ids: list[int]) -> int:
    """Hand outbox rows to RQ; returns how many were enqueued (0 when Redis is unreachable)."""
    if not item_ids or not current_app.config["RQ_ENABLED"]:
        return 0
    try:
        connection = redis_connection()
        for item_id in item_ids:
            enqueue(
                NOTIFICATIONS,
                DELIVER_JOB,
                item_id,
                job_id=job_id_for(item_id),
                retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                connection=connection,
            )
    except Exception as exc:  # Redis down: the rows stay pending and the sweep will send them.
        log.warning("Could not enqueue outbox items %s: %s", item_ids, exc)
        return 0
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(OutboxItem.__table__.update().where(OutboxItem.id.in_(item_ids)).values(enqueued_at=now))
    return len(item_ids)


def sweep(now=None, limit: int = 500) -> int:
    """Re-enqueue what is pending and was never enqueued, or was enqueued long ago and not sent."""
    now = now or utcnow()
    stale = now - SWEEP_GRACE
    ids = db.session.scalars(
        select(OutboxItem.id)
        .where(
            OutboxItem.status == "pending",
            OutboxItem.next_attempt_at <= now,
            or_(OutboxItem.enqueued_at.is_(None), OutboxItem.enqueued_at < stale),
        )
        .order_by(OutboxItem.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return enqueue_items(list(ids))


# The relay: after each commit, enqueue the outbox rows that the transaction created.
@event.listens_for(FlaskSession, "after_flush")
def _collect_new_items(session: FlaskSession, flush_context) -> None:
    new_ids = [obj.id for obj in session.new if isinstance(obj, OutboxItem)]
    if new_ids:
        session.info.setdefault("outbox_ids", []).extend(new_ids)


@event.listens_for(FlaskSession, "after_commit")
def _relay_after_commit(session: FlaskSession) -> None:
    ids = session.info.pop("outbox_ids", None)
    if ids:
        enqueue_items(ids)


@event.listens_for(FlaskSession, "after_soft_rollback")
def _forget_after_rollback(session: FlaskSession, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("outbox_ids", None)
