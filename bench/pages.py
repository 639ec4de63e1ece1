"""Server CPU per request of each customer page beside a bare Flask "hello", under the run command's gunicorn.

    .venv/bin/python bench/pages.py [--seconds 4] [--clients 4] [--database URL] [--redis URL]

The portal runs under gunicorn with the Procfile's settings (2 workers × 4 threads) on the demo world, the
demo customer signed in (zh-CN, with brotli as a phone asks). For each page a Python load generator sends
the same GET as fast as it can (after a 2 s warm-up); the gunicorn workers' CPU time (utime + stime from
/proc) divided by the requests answered is the page's server CPU per request (a mean over the run, warm-up
included). Goals: every customer page ≤ 4 ms, the 404 page ≤ 1 ms.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from notifications import start_redis  # noqa: E402
from progress_poll import SECRET, _free_port, measure, prepare, serve  # noqa: E402

PAGE_GOAL_MS = 4.0
NOT_FOUND_GOAL_MS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database", help="default: a scratch SQLite file")
    parser.add_argument("--redis", help="default: a private redis-server")
    args = parser.parse_args()
    from portal.config import normalise_database_url

    workdir = Path(tempfile.mkdtemp(prefix="rc-pages-"))
    redis_proc, redis_url = (None, args.redis) if args.redis else start_redis(workdir)
    database = normalise_database_url(args.database or f"sqlite:///{workdir / 'bench.db'}")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "REFUND_SECRET_KEY": SECRET,
        "REFUND_DEV_PAGES": "true",  # a development start (development secrets), as progress_poll.py
    }
    env["PYTHONPATH"] = str(ROOT.parent)
    results: dict[str, tuple[float, float]] = {}
    try:
        case_id, cookie = prepare(database, redis_url)
        headers = {"Cookie": f"session={cookie}", "Accept-Language": "zh-CN", "Accept-Encoding": "br, gzip"}

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
            listing = urllib.request.Request(
                f"http://127.0.0.1:{port}/orders?tab=refundable", headers=headers
            )
            body = urllib.request.urlopen(listing, timeout=90).read()  # noqa: S310 - our own server
            order_id = re.search(r'href="/orders/(\d+)"', brotli.decompress(body).decode()).group(1)
            pages = [
                ("我的订单", "/orders", 200),
                ("order page", f"/orders/{order_id}", 200),
                ("申请退款 step 1", f"/orders/{order_id}/refund", 200),
                ("退款记录", "/refunds", 200),
                ("退款进度", f"/cases/{case_id}", 200),
                ("站内信", "/messages", 200),
                ("我的", "/me", 200),
                ("404 page", "/no-such-page", 404),
            ]
            for name, path, status in pages:
                results[name] = measure(server, port, path, headers, status, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait(10)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "PostgreSQL" if "postgres" in database else "SQLite"
    print(f"Server CPU per request ({backend}; gunicorn 2 × 4 threads; {args.clients} keep-alive clients)")
    hello_cpu = results["hello"][1]
    for name, (rps, cpu) in results.items():
        goal = None if name == "hello" else (NOT_FOUND_GOAL_MS if name == "404 page" else PAGE_GOAL_MS)
        verdict = "" if goal is None else f"goal ≤ {goal:.0f} ms  {'ok' if cpu <= goal else 'MISSED'}"
        print(
            f"    {name:16} {cpu:6.2f} ms/req  ({cpu / hello_cpu:5.1f} × hello)  {rps:7.0f} req/s   {verdict}"
        )


if __name__ == "__main__":
    main()
