"""Jobs run by the RQ worker: plain functions taking ids, run inside the worker's app context."""

from datetime import timedelta

from rq import get_current_job
from sqlalchemy import text

from portal import outbox
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.channels import channel_for
from portal.notifications.push import AppGone, fall_back_to_sms
from portal.notifications.sms import SmsOutcome, SmsRefused
from portal.outbox import OutboxItem
from worker.overdue import notify_overdue_reviews, return_lapsed_evidence_requests

SECRET_TEMPLATES = {"sign_in_code"}


def deliver_outbox(item_id: int) -> str:
    """Send one outbox item once: a second run, or a run after a crash, does not send it again."""
    # The row lock serialises two runs of the same item (relay and sweep); the loser then sees "sent".
    # A superseded row (later news replaced it while it waited) is never sent, whatever runs its job.
    item = db.session.get(OutboxItem, item_id, with_for_update=True)
    if item is None or item.status != "pending":
        db.session.rollback()
        return "skipped"
    if item.send_after is not None and item.send_after > utcnow():
        # Too early (a clock ahead of ours): the row stays pending; the sweep enqueues it once it is due.
        db.session.rollback()
        return "early"
    item.attempts += 1
    try:
        provider_ref = channel_for(item.channel).send(item)
    except AppGone as exc:
        # Not a failure to retry: the news goes by SMS instead, and no more pushes to this customer.
        item.status = "rerouted"
        item.last_error = str(exc)[:500]
        fall_back_to_sms(item)
        db.session.commit()
        return "rerouted"
    except SmsRefused as exc:
        if exc.outcome is SmsOutcome.RETRY:
            _record_failure(item, exc)
            db.session.commit()
            raise
        # Retrying cannot help (a bad number, or settings an operator must fix): fail now, staff see why.
        item.status, item.failure = "failed", str(exc.outcome)
        item.last_error = f"{exc.code}: {exc.message}"[:500]
        db.session.commit()
        return "failed"
    except Exception as exc:
        _record_failure(item, exc)
        db.session.commit()
        raise
    _relaxed_commit()
    item.status = "sent"
    item.sent_at = utcnow()
    item.provider_ref = provider_ref
    item.last_error = ""
    if item.template in SECRET_TEMPLATES:
        # The code did its work; the record need not keep it.
        item.params = {key: "******" for key in item.params}
    db.session.commit()
    return "sent"


def _relaxed_commit() -> None:
    """Do not wait for the disk to record a delivery (PostgreSQL's asynchronous commit).

    Losing this write in a database crash only makes the row pending again: it is sent again with the
    same de-duplication key, which the provider recognises, so the customer still gets one message.
    Waiting for the WAL flush was most of the job's cost.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit = off"))


def _record_failure(item: OutboxItem, exc: Exception) -> None:
    """Note the error; the row fails for good (staff see it) once RQ has no retry left."""
    item.last_error = f"{type(exc).__name__}: {exc}"[:500]
    job = get_current_job()
    retries_left = (job.retries_left or 0) if job is not None else 0
    if not retries_left:
        item.status, item.failure = "failed", "retries_spent"
        return
    # RQ schedules the next try after this interval; the sweep leaves the row alone until then.
    done = len(outbox.RETRY_INTERVALS) - retries_left
    interval = outbox.RETRY_INTERVALS[min(max(done, 0), len(outbox.RETRY_INTERVALS) - 1)]
    item.next_attempt_at = utcnow() + timedelta(seconds=interval)


def sweep_outbox() -> int:
    """Re-enqueue outbox rows that never reached, or were lost from, the queue."""
    return outbox.sweep()


def check_overdue_reviews() -> int:
    """Tell customers whose review is late that they may appeal (once per deadline)."""
    return notify_overdue_reviews(utcnow())


def check_lapsed_evidence() -> int:
    """Return cases whose evidence deadline passed to review on what was sent (the customer is told)."""
    return return_lapsed_evidence_requests(utcnow())
