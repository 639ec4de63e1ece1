"""Server CPU per request of each customer page beside a bare Flask "hello", under the run command's gunicorn.

    .venv/bin/python bench/pages.py [--seconds 4] [--rounds 5] [--warmup 2] [--clients 4]
                                    [--database URL | --postgres] [--redis URL] [--only TEXT …]

Each app runs under gunicorn as the run command starts it (`-c deploy/gunicorn.conf.py`: 2 workers × 4
threads, prometheus-client in multiprocess mode) on the demo world, the demo customer signed in (zh-CN, with
brotli as a phone asks). For each page keep-alive Python clients send the same GET as fast as they can,
each keeping the session cookie the server sets as a browser does (the sign-in's last-seen time, rewritten
once a minute; a client that never took it would make every request refresh it): first
a warm-up that is not counted, then --rounds rounds of --seconds each. A round's figure is the gunicorn
workers' CPU time (utime + stime from /proc) used within that round divided by the requests answered within
it; a page's figure is the MEDIAN of its rounds, printed with the rounds' min–max, the ratio to hello's median
(measured the same way) and req/s (the load generator shares the machine's CPUs, so req/s is not the server's
limit; the CPU per request is).

Two views of each page, from two servers on the same database, measured one right after the other:
  repeat view  the same GET again and again, page cache on (the default server) — what issue 13 asks about,
               so the goals are judged on this line;
  first view   a second server started with REFUND_PAGE_CACHE_SECONDS=0: every request renders the page.
Both are printed so that a cache hit is never mistaken for the cost of rendering. (An app without the page
cache ignores the variable: the two views then measure the same thing.)

Goals (issue 13): every customer page ≤ 4 ms, the 404 page ≤ 1 ms (median; SQLite and PostgreSQL).

Databases: a scratch SQLite file by default. `--postgres`, or a `--database postgresql://…` URL without a
database name, creates a scratch database `bench_pages_<pid>` on that server (through the `postgres`
maintenance database; pg_trgm is created in it, as the schema's product-title index needs) and drops it
afterwards. A `--database` URL that names a database uses it and EMPTIES it (never `test`, the test suite's).
"""

import argparse
import http.client
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import brotli
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from notifications import start_redis  # noqa: E402
from progress_poll import SECRET, _free_port, prepare, serve, server_cpu  # noqa: E402

from portal.config import normalise_database_url  # noqa: E402

PAGE_GOAL_MS = 4.0
NOT_FOUND_GOAL_MS = 1.0
# The run command's web process (Procfile): its settings file, with scripts/run's worker and thread counts.
RUN_GUNICORN = ["-c", "deploy/gunicorn.conf.py"]
RUN_CONCURRENCY = {"WEB_CONCURRENCY": "2", "WEB_THREADS": "4"}
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
WARM_ANSWERS = 20  # per client: the warm-up lasts at least this long, whatever --warmup says
TEST_DATABASE = "test"  # the test suite's (tests/conftest.py): never emptied by this bench
VIEWS = {
    "repeat": "repeat view (the same GET again and again, page cache on: the goals are judged here)",
    "first": "first view (REFUND_PAGE_CACHE_SECONDS=0: every request renders)",
}


@contextmanager
def bench_database(url: str | None, workdir: Path) -> Iterator[str]:
    """The database URL to measure on; a scratch PostgreSQL database is created and dropped around it."""
    if url is None:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    target = make_url(normalise_database_url(url))
    if target.get_backend_name() != "postgresql":
        yield target.render_as_string(hide_password=False)
        return
    if target.database == TEST_DATABASE:
        raise SystemExit(f"refusing to empty database {TEST_DATABASE!r}: the test suite's")
    if target.database:
        yield target.render_as_string(hide_password=False)
        return
    name = f"bench_pages_{os.getpid()}"
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield target.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running(target: str, env: dict, instance: Path) -> Iterator[tuple]:
    """(gunicorn master, port) of `target` served as the run command serves the portal; stopped afterwards.

    `instance` is the server's own instance folder (its metrics folder is emptied when gunicorn starts).
    """
    instance.mkdir()
    port = _free_port()
    server = serve(target, {**env, "REFUND_INSTANCE_PATH": str(instance)}, port, RUN_GUNICORN)
    try:
        settle(server, int(env["WEB_CONCURRENCY"]))
        yield server, port
    finally:
        server.terminate()
        server.wait(30)


def settle(server, workers: int) -> None:
    """Wait until gunicorn's workers have all started and gone idle (its socket answers earlier)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    deadline = time.monotonic() + 60
    before = -1.0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if server.poll() is not None:
            raise RuntimeError(
                f"gunicorn stopped (exit {server.returncode}): did its workers fail to boot?"
                " `python -c 'import wsgi'` shows an import-time error"
            )
        used = server_cpu(server)
        if len(children.read_text().split()) == workers and used - before < 0.02:
            return
        before = used
    raise RuntimeError("gunicorn's workers did not settle within 60 s")


def rounds(server, port: int, path: str, headers: dict, expect: int, args) -> list[tuple[float, float]]:
    """(requests per second, server CPU ms per request) of each counted round, after an uncounted warm-up.

    The warm-up lasts --warmup seconds and until WARM_ANSWERS answers per client came back. The clients run
    without a pause from the warm-up to the last round; at each round's edges the workers'
    CPU time and the number of answers so far are read together, so both cover exactly that window.
    """
    answered = [0] * args.clients
    errors: list[BaseException] = []
    stop = threading.Event()

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = dict(headers)  # each client keeps the session cookie the server sets, as a browser does
        try:
            while not stop.is_set():
                conn.request("GET", path, headers=mine)
                response = conn.getresponse()
                response.read()
                for cookie in response.headers.get_all("Set-Cookie") or ():
                    if cookie.startswith("session="):
                        mine["Cookie"] = cookie.split(";", 1)[0]
                if response.status != expect:
                    raise RuntimeError(f"{path}: expected {expect}, got {response.status}")
                answered[index] += 1
        except BaseException as error:  # reported by the measuring thread
            errors.append(error)
            stop.set()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    results = []
    try:
        stop.wait(args.warmup)
        warm = WARM_ANSWERS * args.clients
        deadline = time.monotonic() + 60
        while not stop.is_set() and sum(answered) < warm and time.monotonic() < deadline:
            stop.wait(0.1)
        for _ in range(args.rounds):
            cpu, count, start = server_cpu(server), sum(answered), time.monotonic()
            if stop.wait(args.seconds):
                break
            used, done = server_cpu(server) - cpu, sum(answered) - count
            elapsed = time.monotonic() - start
            if done == 0:
                raise RuntimeError(f"{path}: no answer within a {args.seconds} s round")
            results.append((done / elapsed, used * 1000 / done))
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    if errors:
        raise RuntimeError(f"{path}: {errors[0]!r}") from errors[0]
    return results


def pad(label: str, width: int) -> str:
    """`label` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in label)
    return label + " " * max(0, width - columns)


def row(label: str, view: str, measured: list, hello_ms: float, goal: float | None) -> str:
    """One line of the table: median, min–max and ratio of the rounds' CPU ms, median req/s, the verdict."""
    cpu = [ms for _, ms in measured]
    median = statistics.median(cpu)
    rps = statistics.median(rps for rps, _ in measured)
    verdict = f"≤ {goal:g} ms  {'ok' if median <= goal else 'MISSED'}" if goal is not None else ""
    spread = f"{min(cpu):.2f}–{max(cpu):.2f}"
    return (
        f"  {pad(label, 16)} {view:6} {median:7.2f}  {spread:>13}  {median / hello_ms:7.1f}"
        f"  {rps:6.0f}   {verdict}"
    ).rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4, help="length of one counted round (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="counted rounds per page (default 5)")
    parser.add_argument("--warmup", type=float, default=2, help="uncounted seconds before them (default 2)")
    parser.add_argument("--clients", type=int, default=4)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database", help="default: a scratch SQLite file (see above for PostgreSQL)")
    where.add_argument(
        "--postgres", action="store_const", const=LOCAL_POSTGRES, dest="database",
        help=f"a scratch database on {LOCAL_POSTGRES}, dropped afterwards",
    )  # fmt: skip
    parser.add_argument("--redis", help="default: a private redis-server")
    parser.add_argument(
        "--only", action="append", metavar="TEXT",
        help="measure only the pages whose name contains TEXT (repeatable; hello is always measured)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be ≥ 1 and --seconds > 0")

    workdir = Path(tempfile.mkdtemp(prefix="rc-pages-"))
    redis_proc, redis_url = (None, args.redis) if args.redis else start_redis(workdir)
    load_before = os.getloadavg()[0]
    hello: list[tuple[float, float]] = []
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    try:
        with bench_database(args.database, workdir) as database:
            backend = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
            env = {
                **os.environ,
                **RUN_CONCURRENCY,
                "DATABASE_URL": database,
                "REDIS_URL": redis_url,
                "REFUND_SECRET_KEY": SECRET,
                "REFUND_DEV_PAGES": "true",  # a development start (development secrets), as progress_poll.py
                "PYTHONPATH": str(ROOT.parent),
            }
            env.pop("REFUND_PAGE_CACHE_SECONDS", None)  # the repeat view runs the default server
            case_id, cookie = prepare(database, redis_url)
            headers = {
                "Cookie": f"session={cookie}",
                "Accept-Language": "zh-CN",
                "Accept-Encoding": "br, gzip",
            }

            progress("hello")
            with running("bench.progress_poll:hello_app", env, workdir / "hello") as (server, port):
                hello = rounds(server, port, "/hello", {}, 200, args)

            # Both servers run side by side (the idle one costs next to nothing) and each page's two views are
            # measured one right after the other, so that the machine's load drifts little between them.
            with (
                running("wsgi:app", env, workdir / "repeat") as repeat,
                running("wsgi:app", {**env, "REFUND_PAGE_CACHE_SECONDS": "0"}, workdir / "first") as first,
            ):
                for name, path, status in customer_pages(repeat[1], headers, case_id):
                    if args.only and not any(text in name for text in args.only):
                        continue
                    for view, (server, port) in (("repeat", repeat), ("first", first)):
                        progress(f"{name} ({view} view)")
                        measured = rounds(server, port, path, headers, status, args)
                        results.setdefault(name, {})[view] = measured
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()[0]

    print(
        f"Server CPU ms per request ({backend}; gunicorn {' '.join(RUN_GUNICORN)}: 2 workers × 4 threads;"
        f" {args.clients} keep-alive clients; median of {args.rounds} rounds × {args.seconds:g} s after an"
        f" uncounted {args.warmup:g} s warm-up; load average {load_before:.2f} before,"
        f" {load_after:.2f} after)"
    )
    for view, meaning in VIEWS.items():
        print(f"  {view:6} = {meaning}")
    print(
        f"  {pad('page', 16)} {'view':6} {'median':>7}  {'min–max':>13}  {'× hello':>7}  {'req/s':>6}   goal"
    )
    hello_ms = statistics.median(ms for _, ms in hello)
    print(row("hello", "", hello, hello_ms, None))
    for name, views in results.items():
        goal = NOT_FOUND_GOAL_MS if name == "404 page" else PAGE_GOAL_MS
        print(row(name, "repeat", views["repeat"], hello_ms, goal))
        print(row("", "first", views["first"], hello_ms, None))


def customer_pages(port: int, headers: dict, case_id: int) -> list[tuple[str, str, int]]:
    """(name, path, expected status) of every customer page and the 404 page, on the demo customer's data."""
    listing = urllib.request.Request(f"http://127.0.0.1:{port}/orders?tab=refundable", headers=headers)
    body = urllib.request.urlopen(listing, timeout=90).read()  # noqa: S310 - our own server
    order_id = re.search(r'href="/orders/(\d+)"', brotli.decompress(body).decode()).group(1)
    return [
        ("我的订单", "/orders", 200),
        ("order page", f"/orders/{order_id}", 200),
        ("申请退款 step 1", f"/orders/{order_id}/refund", 200),
        ("退款记录", "/refunds", 200),
        ("退款进度", f"/cases/{case_id}", 200),
        ("站内信", "/messages", 200),
        ("我的", "/me", 200),
        ("404 page", "/no-such-page", 404),
    ]


def progress(what: str) -> None:
    print(f"measuring {what}…", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
