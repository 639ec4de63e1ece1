"""What the operations page shows: queues and failed jobs, outbox lag, the clock, payouts in trouble."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.outbox import OutboxItem
from portal.payouts.models import Payout
from portal.payouts.states import PayoutState
from portal.queueing import CLOCK_HEARTBEAT_KEY, QUEUES, get_queue

FAILED_JOBS_SHOWN = 50
# Platform choice: a payout not finished this long after it was created is "in trouble" (docs/operations.md).
PAYOUT_STUCK_AFTER = timedelta(hours=2)
UNFINISHED = (PayoutState.PENDING, PayoutState.SUBMITTED, PayoutState.FAILED, PayoutState.RETRIED)


@dataclass(frozen=True)
class QueueRow:
    name: str
    waiting: int
    failed: int


@dataclass(frozen=True)
class FailedJob:
    queue: str
    id: str
    function: str
    ended_at: datetime | None
    error: str  # the exception's last line only


@dataclass(frozen=True)
class OutboxLag:
    waiting: int
    oldest_seconds: float | None


def queues(connection: Redis) -> list[QueueRow]:
    rows = []
    for name in QUEUES:
        queue = get_queue(name, connection)
        rows.append(QueueRow(name, queue.count, FailedJobRegistry(queue=queue).count))
    return rows


def failed_jobs(connection: Redis) -> list[FailedJob]:
    found = []
    for name in QUEUES:
        queue = get_queue(name, connection)
        ids = FailedJobRegistry(queue=queue).get_job_ids(0, FAILED_JOBS_SHOWN - 1)
        for job in Job.fetch_many(ids, connection=connection, serializer=queue.serializer):
            if job is None:
                continue
            result = job.latest_result()
            lines = ((result.exc_string if result else "") or "").strip().splitlines()
            found.append(
                FailedJob(name, job.id, job.func_name, job.ended_at, (lines[-1] if lines else "")[:200])
            )
    return found


def retry_job(connection: Redis, queue_name: str, job_id: str) -> bool:
    """Put a failed job back on its queue; False if it is not (or no longer) in the failed registry."""
    if queue_name not in QUEUES:
        return False
    registry = FailedJobRegistry(queue=get_queue(queue_name, connection))
    try:
        registry.requeue(job_id)
    except (NoSuchJobError, InvalidJobOperation, ValueError):
        return False
    return True


def clock_last_tick(connection: Redis) -> float | None:
    value = connection.get(CLOCK_HEARTBEAT_KEY)
    return float(value) if value else None


def outbox_lag(session: Session, now: datetime) -> OutboxLag:
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxItem.created_at)).where(OutboxItem.status == "pending")
    ).one()
    return OutboxLag(count, (now - oldest).total_seconds() if oldest else None)


def payouts_in_trouble(session: Session, now: datetime, manual: bool = True) -> list[Payout]:
    """Unfinished payouts older than PAYOUT_STUCK_AFTER, and (``manual``) those staff must pay by hand."""
    stuck = Payout.state.in_(UNFINISHED) & (Payout.created_at < now - PAYOUT_STUCK_AFTER)
    query = (
        select(Payout)
        .where(((Payout.state == PayoutState.MANUAL) | stuck) if manual else stuck)
        .order_by(Payout.created_at)
        .limit(100)
    )
    return list(session.scalars(query))
