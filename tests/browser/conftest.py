"""Browser tests: real Chromium (Debian's) through Playwright, against the app served on 127.0.0.1."""

import os
import threading
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.server.serve_forever, daemon=True),
            threading.Thread(target=self._work_queues, daemon=True),
        ]

    def _work_queues(self) -> None:
        """A worker that keeps draining the queues, as `python -m worker` would."""
        from rq.timeouts import TimerDeathPenalty

        from worker.runner import build_worker

        while not self.stop.is_set():
            worker = build_worker(self.app)
            # Signals belong to the main thread; this worker lives in another one.
            worker._install_signal_handlers = lambda: None
            worker.death_penalty_class = TimerDeathPenalty
            try:
                worker.work(burst=True, logging_level="WARNING")
            except Exception:  # Redis going away at teardown must not kill the loop noisily
                if self.stop.is_set():
                    return
            self.stop.wait(0.3)

    def start(self) -> "LiveServer":
        for thread in self.threads:
            thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        for thread in self.threads:
            thread.join(5)


@pytest.fixture
def live_server(app):
    """The test app, with the demo world, served on a free port with a worker draining the queues."""
    from portal.demo.builder import build
    from portal.extensions import db

    with app.app_context():
        build()
        db.session.remove()
    server = LiveServer(app).start()
    yield server
    server.close()


@pytest.fixture
def phone_page(browser, live_server):
    """Factory: a phone-sized page (360 px), JavaScript on or off, in the given language."""
    contexts = []

    def make(js_enabled: bool = True, locale: str = "zh-CN", user_agent: str | None = None):
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            java_script_enabled=js_enabled,
            locale=locale,
            user_agent=user_agent or ANDROID_UA,
            base_url=live_server.url,
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    """Factory: a desktop-sized page (staff work at desks), in the given language."""
    contexts = []

    def make(locale: str = "zh-CN"):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale=locale, base_url=live_server.url
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in_by_sms(page, live_server, phone: str = "13800138000") -> None:
    """Sign in through the real form: request a code, read it from the console SMS outbox, enter it."""
    import re
    import time

    from sqlalchemy import select

    from portal.extensions import db
    from portal.notifications.models import ConsoleSms

    page.goto("/login")
    page.locator("input[name=phone]").fill(phone)
    page.locator("button[name=action][value=send]").click()
    code = None
    for _ in range(100):
        with live_server.app.app_context():
            texts = db.session.scalars(
                select(ConsoleSms.text).where(ConsoleSms.phone.contains(phone)).order_by(ConsoleSms.id.desc())
            ).all()
            db.session.remove()
        # The sign-in SMS, not a case message that may also carry six digits.
        found = [m for t in texts if (m := re.search(r"(?:code is|验证码[为是：:]?)\s*(\d{6})", t))]
        if found:
            code = found[0].group(1)
            break
        time.sleep(0.1)
    assert code, "no sign-in code was sent"
    page.locator("input[name=code]").fill(code)
    page.locator("button[name=action][value=verify]").click()


def save_screenshot(page, name: str) -> None:
    """With SCREENSHOTS set to a folder (scripts/screenshots), keep what the page looks like as <name>.png."""
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = Path(folder) / f"{name}.png"
        page.screenshot(path=str(path))
        # 128 colours are plenty for pages of text and flat colours, at a third of the size.
        small = Image.open(path).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
