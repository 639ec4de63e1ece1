"""/metrics under gunicorn with two worker processes: the counts of every worker are added up."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from portal import create_app
from portal.extensions import db
from tests.conftest import test_config as base_config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "gunicorn-metrics-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str = "") -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
        return response.read()


def _healthz_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "refund_http_request_duration_seconds_count"
                and sample.labels["route"] == "/healthz"
            ):
                return sample.value
    return 0


def _pids(tmp_path) -> set[str]:
    return {path.stem.rsplit("_", 1)[1] for path in (tmp_path / "prometheus").glob("histogram_*.db")}


def test_two_workers_one_sum(tmp_path, redis_url):
    config = base_config(tmp_path, redis_url)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "REFUND_SECRET_KEY": "test-secret",
        "REFUND_DEV_PAGES": "true",  # a development start: production refuses the development secrets
        "REFUND_METRICS_TOKEN": TOKEN,
        "REFUND_INSTANCE_PATH": str(tmp_path),
        "REFUND_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "1",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    proc = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        # Wait for gunicorn on another route: a start-up poll that timed out may still be served later.
        for _ in range(300):
            try:
                _get(base + "/login")
                break
            except OSError:
                time.sleep(0.1)
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # Parallel batches until both workers have answered some (one idle worker may take them all).
            # Bounded by time, not by count: on a loaded machine the second worker may take a while to boot.
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                list(pool.map(_get, [base + "/healthz"] * 16))
                sent += 16
                if len(_pids(tmp_path)) == 2:
                    break
        assert len(_pids(tmp_path)) == 2, "both workers should have answered some of the requests"
        counts = {_healthz_count(_get(base + "/metrics", TOKEN).decode()) for _ in range(6)}
        assert counts == {sent}  # whichever worker answers the scrape, it counts every worker's requests
    finally:
        proc.terminate()
        proc.wait(20)
