"""A worker killed with SIGKILL in the middle of an SMS job: after a restart the message is delivered once,
and every call to the provider carried the same de-duplication key (the outbox job id)."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import outbox
from portal.clock import utcnow
from portal.extensions import db
from portal.outbox import OutboxItem
from tests.factories import open_case_for

ROOT = Path(__file__).resolve().parents[2]
# Delivery itself: case news is sent at once (the policy waits no time to coalesce it).
pytestmark = pytest.mark.usefixtures("news_at_once")


def _worker(app, redis_url: str, provider_dir: Path, sleep: float, log: Path) -> subprocess.Popen:
    """`python -m worker --burst` in its own process, with the slow file-recording provider."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "REFUND_DEV_PAGES": "true",  # a development start: the development secrets are allowed
        "REFUND_SMS_BACKEND": "tests.notifications.fake_sms:SlowFileSms",
        "FAKE_SMS_DIR": str(provider_dir),
        "FAKE_SMS_SLEEP": str(sleep),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "worker", "--burst"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_worker_killed_mid_sms_delivers_once_after_restart(app, world, redis_url, tmp_path):
    provider = tmp_path / "provider"
    provider.mkdir()
    case_id = open_case_for(world.customer_id).id
    item_id = db.session.scalar(select(OutboxItem.id).where(OutboxItem.case_id == case_id))
    key = outbox.job_id_for(item_id)
    db.session.remove()

    first = _worker(app, redis_url, provider, sleep=60, log=tmp_path / "worker1.log")
    try:
        _wait_for(provider / "started", 60)  # the provider call is in flight
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    assert first.returncode == -signal.SIGKILL
    assert _lines(provider / "calls.log") == [key] and _lines(provider / "delivered.log") == []
    db.session.expire_all()
    assert db.session.get(OutboxItem, item_id).status == "pending"

    # The clock's sweep finds the job still "started" by a worker that is gone, and enqueues it again.
    assert outbox.sweep(utcnow() + outbox.STUCK_AFTER + timedelta(minutes=1)) == 1
    db.session.remove()
    second = _worker(app, redis_url, provider, sleep=0, log=tmp_path / "worker2.log")
    assert second.wait(60) == 0, (tmp_path / "worker2.log").read_text()

    db.session.expire_all()
    item = db.session.get(OutboxItem, item_id)
    assert item.status == "sent" and item.provider_ref == f"fake-{key}"
    assert _lines(provider / "calls.log") == [key, key]  # asked again after the crash, with the same key
    assert _lines(provider / "delivered.log") == [key]  # and the customer got one message
