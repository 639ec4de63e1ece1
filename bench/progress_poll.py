"""Requests per second of the progress poll (its 304 and its 200 path) against a bare Flask "hello" route,
under the same gunicorn settings, printed side by side with the ratios.

    .venv/bin/python bench/progress_poll.py [--seconds 10] [--clients 8] [--database URL] [--redis URL]

Each app is served by gunicorn on 127.0.0.1 with the Procfile's settings (2 workers × 4 threads,
gthread, keep-alive). A Python load generator (threads, one keep-alive http.client connection each)
sends the same request as fast as it can for the given time, after a warm-up:
  hello     GET /hello on a Flask app with one route and nothing else
  poll 304  GET /cases/<id> as htmx, signed in, with the If-None-Match the page gave (nothing changed)
  poll 200  GET /cases/<id> as htmx, signed in, without it (the fragment is rendered)
Goal: the 304 path ≥ 60% of hello. The load generator shares the machine's CPUs with gunicorn, so
the server's CPU time per request (gunicorn workers' utime+stime from /proc, warm-up included) is
printed too: hello's CPU per request ÷ this path's is the ratio the server alone would reach.
"""

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GUNICORN = [
    "--workers", "2", "--threads", "4", "--worker-class", "gthread",
    "--keep-alive", "30", "--log-level", "warning",
]  # fmt: skip
SECRET = "bench-secret"

hello_app = Flask("hello")


@hello_app.get("/hello")
def hello() -> str:
    return "hello"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database: str, redis_url: str) -> tuple[int, str]:
    """Schema, demo world, one open case of the demo customer; returns (case id, session cookie)."""
    from sqlalchemy import text

    from portal import create_app
    from portal.accounts.models import Customer
    from portal.accounts.services import open_session
    from portal.extensions import db

    sys.path.insert(0, str(ROOT / "bench"))
    from notifications import _open_case

    from portal.demo.builder import build

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET,
            "RQ_ENABLED": False,
            "DEV_PAGES": True,  # a development start (development secrets)
        }
    )
    with app.app_context():
        db.drop_all()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.create_all()
        build()
        case = _open_case()
        login = open_session(db.session.get(Customer, case.customer_id))
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": login.id, "_fresh": True}
        )
        return case.id, cookie


def serve(target: str, env: dict, port: int, options: list[str] | None = None) -> subprocess.Popen:
    """gunicorn serving `target` on 127.0.0.1:port, with GUNICORN's settings unless `options` are given."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *(options or GUNICORN), "--bind", f"127.0.0.1:{port}", target],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gunicorn did not start for {target}")


def server_cpu(master: subprocess.Popen) -> float:
    """CPU seconds used so far by gunicorn's workers (Linux /proc): the server's cost apart from rps."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def measure(server, port, path, headers, expect, seconds, clients) -> tuple[float, float]:
    """(requests per second, server CPU milliseconds per request)."""
    before = server_cpu(server)
    rps = load(port, path, headers, expect, seconds, clients)
    used = server_cpu(server) - before
    return rps, used * 1000 / (rps * (seconds + 2))


def load(port: int, path: str, headers: dict, expect: int, seconds: float, clients: int) -> float:
    """Requests per second over `seconds` (after a 2 s warm-up), every answer checked."""
    counts = [0] * clients
    start_at, stop_at = time.monotonic() + 2, time.monotonic() + 2 + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (now := time.monotonic()) < stop_at:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != expect:
                raise RuntimeError(f"{path}: expected {expect}, got {response.status}")
            if now >= start_at:
                counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def etag_of(port: int, path: str, headers: dict) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status
    return response.getheader("ETag")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", help="default: a scratch SQLite file")
    parser.add_argument("--redis", help="default: a private redis-server")
    args = parser.parse_args()
    from notifications import start_redis

    from portal.config import normalise_database_url

    workdir = Path(tempfile.mkdtemp(prefix="rc-poll-"))
    redis_proc = None
    if args.redis:
        redis_url = args.redis
    else:
        redis_proc, redis_url = start_redis(workdir)
    database = normalise_database_url(args.database or f"sqlite:///{workdir / 'bench.db'}")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "REFUND_SECRET_KEY": SECRET,
        "REFUND_DEV_PAGES": "true",  # a development start (development secrets)
        "PYTHONPATH": str(ROOT),
    }
    results = {}
    try:
        case_id, cookie = prepare(database, redis_url)
        path = f"/cases/{case_id}"
        poll = {"Cookie": f"session={cookie}", "HX-Request": "true", "Accept-Language": "zh-CN"}

        port = _free_port()
        server = serve("bench.progress_poll:hello_app", env, port)
        try:
            results["hello"] = measure(server, port, "/hello", {}, 200, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait(10)

        port = _free_port()
        server = serve("wsgi:app", env, port)
        try:
            etag = etag_of(port, path, poll)
            unchanged = {**poll, "If-None-Match": etag}
            results["poll 304"] = measure(server, port, path, unchanged, 304, args.seconds, args.clients)
            results["poll 200"] = measure(server, port, path, poll, 200, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait(10)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "PostgreSQL" if "postgres" in database else "SQLite"
    print(
        f"Progress poll bench ({backend}; gunicorn {' '.join(GUNICORN)}; {args.clients} keep-alive clients)"
    )
    hello_rps, hello_cpu = results["hello"]
    for name, (rps, cpu) in results.items():
        print(
            f"    {name:9} {rps:8.0f} req/s  {rps / hello_rps:5.0%} of hello"
            f"   server CPU {cpu:5.2f} ms/req  (hello/this {hello_cpu / cpu:5.0%})"
        )
    print(
        "    goal: poll 304 ≥ 60% of hello (rps; when the load generator saturates first, see the CPU ratio)"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
