"""`python -m worker`: build the app once, then work the queues (and run the periodic clock)."""

import argparse
import logging
import threading
import time

from flask import Flask
from redis.exceptions import ConnectionError as RedisConnectionError

from portal import create_app
from portal.cases import autoreview
from portal.ops import logs
from portal.payouts.jobs import poll_payouts
from portal.queueing import CLOCK_HEARTBEAT_KEY, DEFAULT, get_queue, job_name, redis_connection
from portal.support.jobs import escalate_late_conversations
from worker.jobs import check_lapsed_evidence, check_overdue_reviews, sweep_outbox
from worker.runner import CurrentWorker, build_worker

# Job → period in seconds.
PERIODIC_JOBS = {
    sweep_outbox: 20,
    autoreview.sweep: 60,
    check_overdue_reviews: 300,
    check_lapsed_evidence: 300,
    poll_payouts: 15,
    escalate_late_conversations: 300,
}

log = logging.getLogger("worker.clock")


def tick(app: Flask, now: float) -> list[str]:
    """Enqueue each periodic job whose slot has begun; returns the job ids enqueued by this clock.

    Every worker process runs a clock; a Redis SET NX per (job, slot) lets only one of them enqueue.
    """
    enqueued = []
    with app.app_context():
        connection = redis_connection()
        connection.set(CLOCK_HEARTBEAT_KEY, f"{now:.3f}")
        for job, every in PERIODIC_JOBS.items():
            # RQ job ids allow letters, digits, underscores and dashes only.
            job_id = f"{job_name(job).replace('.', '_')}-{int(now // every)}"
            if connection.set(f"refund:clock:{job_id}", 1, nx=True, ex=every * 2):
                get_queue(DEFAULT, connection).enqueue_call(job, job_id=job_id, result_ttl=60, timeout=every)
                enqueued.append(job_id)
    return enqueued


def run_clock(app: Flask, current: CurrentWorker, stop: threading.Event) -> None:
    """Tick every second until stopped; Redis being down only skips ticks.

    Each tick also restarts RQ's scheduler if it died (it does when Redis goes away), so that scheduled
    retries resume within seconds of Redis coming back rather than at RQ's ten-minute housekeeping.
    """
    while not stop.is_set():
        try:
            tick(app, time.time())
            current.keep_scheduler_alive()
        except Exception as exc:
            log.warning("clock: %s", exc)
        stop.wait(1)


RESTART_AFTER_SECONDS = 2  # a worker that lost Redis starts again after this pause


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="work until the queues are empty, then stop")
    parser.add_argument("--no-clock", action="store_true", help="do not enqueue periodic jobs")
    args = parser.parse_args()
    app = create_app()
    logs.configure(app.config["LOG_LEVEL"])
    stop = threading.Event()
    current = CurrentWorker()
    if not args.no_clock and not args.burst:
        threading.Thread(target=run_clock, args=(app, current, stop), daemon=True).start()
    try:
        while True:
            try:
                worker = build_worker(app)
                current.replace(worker)
                # RQ's own lines only for warnings: the worker writes one JSON line per job itself.
                worker.work(burst=args.burst, with_scheduler=True, logging_level="WARNING")
                return
            except RedisConnectionError as exc:
                # RQ's worker quits when Redis goes away outside its wait for jobs (and cannot start while
                # Redis is away): start a new one.
                if args.burst:
                    raise
                log.warning("worker: lost Redis (%s); starting again", exc)
                current.replace(None)
                time.sleep(RESTART_AFTER_SECONDS)
    finally:
        stop.set()
        current.replace(None)


if __name__ == "__main__":
    main()
