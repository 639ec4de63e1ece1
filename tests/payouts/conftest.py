"""Payout fixtures: a SANDBOX gateway served on a free port (its own thread), the app pointed at it."""

import pytest

from devtools.sandbox.server import SandboxServer
from tests.payouts.provider_fakes import FakeAlipay, FakeWechatPay
from tests.payouts.support import TEST_SECRET


@pytest.fixture
def sandbox():
    """A fresh sandbox gateway; settles and notifies only when a test says so."""
    server = SandboxServer(TEST_SECRET).start()
    server.switch(auto_settle=False, notify=False, hang_seconds=1.5)
    yield server
    server.close()


@pytest.fixture
def gateway(app, sandbox):
    """The app configured to pay through the sandbox (short timeouts, quick retries)."""
    app.config.update(
        PAYMENT_GATEWAY_URL=sandbox.url,
        PAYMENT_GATEWAY_SECRET=TEST_SECRET,
        PAYMENT_GATEWAY_TIMEOUT=0.5,
        PAYOUT_MAX_FAILURES=3,
        PAYOUT_RETRY_DELAYS=[1, 2, 3],
        PAYOUT_QUERY_AFTER=0,
        PAYOUT_NOTIFY_BASE_URL="http://127.0.0.1:9",
    )
    return sandbox


def _point_at(app, fake, adapter: str) -> None:
    routes = dict(app.config.get("PAYMENT_GATEWAY_ROUTES") or {})
    routes[fake.route] = fake.settings()
    adapters = dict(app.config.get("PAYMENT_GATEWAY_ADAPTERS") or {})
    adapters[fake.route] = adapter
    app.config.update(
        PAYMENT_GATEWAY_ROUTES=routes,
        PAYMENT_GATEWAY_ADAPTERS=adapters,
        PAYOUT_MAX_FAILURES=3,
        PAYOUT_RETRY_DELAYS=[1, 2, 3],
        PAYOUT_QUERY_AFTER=0,
        PAYOUT_NOTIFY_BASE_URL="http://127.0.0.1:9",
    )


@pytest.fixture
def alipay(app):
    """A STAND-IN Alipay open platform on 127.0.0.1, and the app's Alipay route pointed at it."""
    fake = FakeAlipay().start()
    _point_at(app, fake, "alipay-openapi")
    yield fake
    fake.close()


@pytest.fixture
def wechatpay(app):
    """A STAND-IN WeChat Pay API v3 on 127.0.0.1, and the app's WeChat route pointed at it."""
    fake = FakeWechatPay().start()
    _point_at(app, fake, "wechatpay-v3")
    yield fake
    fake.close()
