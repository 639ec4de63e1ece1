"""Prometheus metrics: per-process counters (correct under several gunicorn workers through
prometheus-client's multiprocess mode) and the state of the database and Redis, read at scrape time.

Multiprocess mode is on when PROMETHEUS_MULTIPROC_DIR is set before this module is imported (the
gunicorn config in deploy/ sets it and removes a dead worker's files); otherwise values live in this
process (development, tests).
"""

import os
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis import Redis, RedisError
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.cases.models import RefundCase
from portal.cases.progress import REVIEW_WAITING
from portal.ops import services
from portal.outbox import OutboxItem
from portal.payouts.models import Payout
from portal.queueing import CLOCK_HEARTBEAT_KEY, QUEUES, get_queue

# Metrics of this process; in multiprocess mode their values go to files that every scrape adds up.
LIVE = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "refund_http_request_duration_seconds",
    "Time to answer a request, by route (the URL rule, not the address), method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=LIVE,
)
SIGN_IN_FAILURES = Counter(
    "refund_sign_in_failures_total",
    "Refused sign-ins: customers' wrong or expired codes, staff's wrong passwords.",
    ["who"],
    registry=LIVE,
)


def exposition(session: Session, connection: Redis, now: datetime) -> bytes:
    """The text a scrape gets: the processes' metrics, then the state read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
    else:
        processes = LIVE
    state = CollectorRegistry()
    state.register(StateCollector(session, connection, now))
    return generate_latest(processes) + generate_latest(state)


class StateCollector(Collector):
    """Gauges read from the database and Redis at scrape time (a handful of grouped queries)."""

    def __init__(self, session: Session, connection: Redis, now: datetime) -> None:
        self.session, self.connection, self.now = session, connection, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._outbox()
        yield from self._queues()
        yield from self._payouts()
        yield self._overdue()

    def _outbox(self) -> Iterator[GaugeMetricFamily]:
        rows = self.session.execute(
            select(
                OutboxItem.channel, OutboxItem.status, func.count(), func.min(OutboxItem.created_at)
            ).group_by(OutboxItem.channel, OutboxItem.status)
        ).all()
        by_outcome = GaugeMetricFamily(
            "refund_notifications",
            "Outbox rows by channel and outcome (pending, sent, failed …).",
            labels=["channel", "outcome"],
        )
        waiting = GaugeMetricFamily("refund_outbox_waiting", "Outbox rows not sent yet.", labels=["channel"])
        oldest = GaugeMetricFamily(
            "refund_outbox_oldest_waiting_seconds", "Age of the oldest outbox row not sent yet (0: none)."
        )
        oldest_at = None
        for channel, status, count, first in rows:
            by_outcome.add_metric([channel, status], count)
            if status == "pending":
                waiting.add_metric([channel], count)
                oldest_at = first if oldest_at is None else min(oldest_at, first)
        oldest.add_metric([], (self.now - oldest_at).total_seconds() if oldest_at else 0)
        yield from (by_outcome, waiting, oldest)

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("refund_rq_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "refund_rq_failed_jobs", "Jobs in each queue's failed registry.", labels=["queue"]
        )
        clock = GaugeMetricFamily(
            "refund_clock_last_tick_timestamp_seconds", "When the worker's clock last ticked."
        )
        pipe = self.connection.pipeline(transaction=False)
        for name in QUEUES:
            queue = get_queue(name, self.connection)
            pipe.llen(queue.key)
            pipe.zcard(FailedJobRegistry(queue=queue).key)
        pipe.get(CLOCK_HEARTBEAT_KEY)
        up = GaugeMetricFamily("refund_redis_up", "1 when Redis answered this scrape, 0 when it did not.")
        try:
            *counts, last = pipe.execute()
        except RedisError:
            # Redis down is what an alert should see, not a failed scrape: the database's gauges still count.
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for i, name in enumerate(QUEUES):
            depth.add_metric([name], counts[2 * i])
            failed.add_metric([name], counts[2 * i + 1])
        clock.add_metric([], float(last or 0))
        yield from (depth, failed, clock)

    def _payouts(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("refund_payouts", "Payouts by state.", labels=["state"])
        for state, count in self.session.execute(select(Payout.state, func.count()).group_by(Payout.state)):
            family.add_metric([str(state)], count)
        stuck = GaugeMetricFamily(
            "refund_payouts_stuck", "Unfinished payouts older than the operations page's limit (2 hours)."
        )
        stuck.add_metric([], len(services.payouts_in_trouble(self.session, self.now, manual=False)))
        yield from (family, stuck)

    def _overdue(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "refund_cases_overdue",
            "Open cases past their current deadline, by the step they wait in (review, appealed …).",
            labels=["step"],
        )
        due = func.coalesce(RefundCase.step_due_at, RefundCase.review_due_at)
        rows = self.session.execute(
            select(RefundCase.state, func.count())
            .where(RefundCase.is_open.is_(True), due < self.now)
            .group_by(RefundCase.state)
        )
        steps: dict[str, int] = {}
        for state, count in rows:
            step = "review" if state in REVIEW_WAITING else str(state)
            steps[step] = steps.get(step, 0) + count
        for step, count in sorted(steps.items()):
            family.add_metric([step], count)
        return family
