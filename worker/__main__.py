"""`python -m worker`: build the app once, then work the queues (and run the periodic clock)."""

import argparse
import logging
import threading
import time

from portal import create_app
from portal.queueing import get_queue
from worker.runner import build_worker

PERIODIC_JOBS = {
    "worker.jobs.sweep_outbox": 20,
    "portal.cases.autoreview.sweep": 60,
    "portal.payouts.jobs.poll_payouts": 15,
}


def run_clock(app, stop: threading.Event) -> None:
    """Enqueue the periodic jobs; a fixed job id per slot keeps two clocks from doubling the work."""
    last: dict[str, float] = {}
    while not stop.is_set():
        now = time.time()
        for path, every in PERIODIC_JOBS.items():
            if now - last.get(path, 0) >= every:
                try:
                    with app.app_context():
                        slot = int(now // every)
                        get_queue("default").enqueue_call(path, job_id=f"{path}-{slot}", result_ttl=60)
                    last[path] = now
                except Exception as exc:
                    logging.getLogger("worker.clock").warning("clock: %s", exc)
        stop.wait(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="work until the queues are empty, then stop")
    parser.add_argument("--no-clock", action="store_true", help="do not enqueue periodic jobs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    app = create_app()
    stop = threading.Event()
    if not args.no_clock and not args.burst:
        threading.Thread(target=run_clock, args=(app, stop), daemon=True).start()
    try:
        build_worker(app).work(burst=args.burst, with_scheduler=True)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
