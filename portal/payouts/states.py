"""Payout states and the retry schedule (pure: no Flask, no database).

pending → submitted → succeeded
                    ↘ failed → retried → submitted … → manual (after N failures: staff pay by hand)

- pending: the row and its request number exist; the first submission has not been accepted yet
  (it may be in flight, or it timed out and will be sent again with the same number).
- submitted: the gateway accepted the request. Accepted is NOT succeeded: money may still not move.
- succeeded: the query API or a verified notification said the money went back (or staff recorded
  a manual transfer). Nothing leaves this state.
- failed: the gateway refused or reported failure; a retry is scheduled.
- retried: a retry is under way (sent again with the SAME request number).
- manual: retries are spent, or the route is offline: staff pay by hand and record the transfer.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum


class PayoutState(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRIED = "retried"
    MANUAL = "manual"


class SuccessSource(StrEnum):
    """How we came to believe the money went back."""

    QUERY = "query"
    NOTIFY = "notify"
    MANUAL = "manual"


# States from which the payout may be (re)submitted to the gateway.
SUBMITTABLE: frozenset[PayoutState] = frozenset(
    {PayoutState.PENDING, PayoutState.FAILED, PayoutState.RETRIED}
)
# States in which money is still owed: counted against what the order may still refund.
OUTSTANDING: frozenset[PayoutState] = frozenset(PayoutState) - {PayoutState.SUCCEEDED}

DEFAULT_RETRY_DELAYS: tuple[int, ...] = (60, 300, 1800, 3600)


def retry_delay(count: int, delays: Sequence[int] = DEFAULT_RETRY_DELAYS) -> timedelta:
    """Wait before try number count+1 (count >= 1); the last delay repeats."""
    if not delays:
        return timedelta(0)
    return timedelta(seconds=delays[min(max(count, 1), len(delays)) - 1])


def after_failure(failures: int, max_failures: int) -> PayoutState:
    """The state after the failure numbered `failures`: failed (to be retried) or manual."""
    return PayoutState.MANUAL if failures >= max_failures else PayoutState.FAILED


def may_submit(state: PayoutState, attempts: int, next_attempt_at: datetime | None, now: datetime) -> bool:
    """Whether a worker may send the payout now: first try at once, retries when their time has come."""
    if PayoutState(state) not in SUBMITTABLE:
        return False
    return attempts == 0 or next_attempt_at is None or next_attempt_at <= now
