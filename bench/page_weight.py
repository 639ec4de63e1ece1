"""Bytes transferred and requests per customer page, in real Chromium on a phone, against the budget.

    .venv/bin/python bench/page_weight.py [--database URL] [--redis URL]

The portal runs under gunicorn (the Procfile's settings) on the demo world; the demo customer is signed in.
Chromium (Debian's, /usr/bin/chromium) counts what crosses the wire (headers included, as encoded), and
which requests go to the network at all (a file the cache keeps is not a request):
  first visit   the wizard's first step (申请退款) with an empty cache
  later pages   every customer page after that, in the same browser (warm cache)
Budget: the first visit ≤ 40 KB; any later customer page ≤ 10 KB in one request.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from notifications import start_redis  # noqa: E402
from progress_poll import SECRET, _free_port, prepare, serve  # noqa: E402

FIRST_BUDGET = 40 * 1024
LATER_BUDGET = 10 * 1024
CHROMIUM = "/usr/bin/chromium"


class Wire:
    """Requests that went to the network and their encoded bytes (CDP Network events)."""

    def __init__(self, cdp) -> None:
        self.requests: dict[str, str] = {}
        self.bytes = 0
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: self.requests.__setitem__(e["requestId"], e["request"]["url"]),
        )
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", lambda e: self.requests.pop(e["requestId"], None))
        cdp.send("Network.enable")

    def _finished(self, event) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))

    def reset(self) -> None:
        self.requests.clear()
        self.bytes = 0


def measure(page, wire: Wire, url: str) -> tuple[int, int, list[str]]:
    wire.reset()
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # late requests (favicon, deferred scripts)
    urls = list(wire.requests.values())
    return wire.bytes, len(urls), urls


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="default: a scratch SQLite file")
    parser.add_argument("--redis", help="default: a private redis-server")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from portal.config import normalise_database_url

    workdir = Path(tempfile.mkdtemp(prefix="rc-weight-"))
    redis_proc, redis_url = (None, args.redis) if args.redis else start_redis(workdir)
    database = normalise_database_url(args.database or f"sqlite:///{workdir / 'bench.db'}")
    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": redis_url, "REFUND_SECRET_KEY": SECRET,
           "REFUND_DEV_PAGES": "true",  # a development start (development secrets), as pages.py
           "PYTHONPATH": str(ROOT.parent)}  # fmt: skip
    rows = []
    try:
        case_id, cookie = prepare(database, redis_url)
        port = _free_port()
        server = serve("wsgi:app", env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            listing = urllib.request.Request(
                f"{base}/orders?tab=refundable", headers={"Cookie": f"session={cookie}"}
            )
            html = urllib.request.urlopen(listing, timeout=90).read().decode()  # noqa: S310 - our own server
            order_id = re.search(r'href="/orders/(\d+)"', html).group(1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
                )
                context = browser.new_context(
                    viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
                )
                context.add_cookies([{"name": "session", "value": cookie, "url": base}])
                page = context.new_page()
                wire = Wire(context.new_cdp_session(page))
                first = measure(page, wire, f"{base}/orders/{order_id}/refund")
                rows.append(("first visit: 申请退款 (step 1)", *first, FIRST_BUDGET, None))
                for name, path in [
                    ("我的订单", "/orders"),
                    ("order page", f"/orders/{order_id}"),
                    ("申请退款 (step 1)", f"/orders/{order_id}/refund"),
                    ("退款记录", "/refunds"),
                    ("退款进度", f"/cases/{case_id}"),
                    ("站内信", "/messages"),
                    ("我的", "/me"),
                    ("notification settings", "/messages/settings"),
                ]:
                    rows.append((f"later: {name}", *measure(page, wire, base + path), LATER_BUDGET, 1))
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)

    print("Page weight (Chromium, 360 px phone, zh-CN; bytes on the wire incl. headers)")
    for name, size, count, urls, budget, max_requests in rows:
        fits = size <= budget and (max_requests is None or count <= max_requests)
        limit = f"≤ {budget / 1024:.0f} KB" + (f", ≤ {max_requests} request" if max_requests else "")
        verdict = "ok" if fits else "MISSED"
        print(f"    {name:34} {size / 1024:6.1f} KB  {count:2d} requests   budget {limit:24} {verdict}")
        if not fits:
            for url in urls:
                print(f"        {url.replace(base, '')}")


if __name__ == "__main__":
    main()
