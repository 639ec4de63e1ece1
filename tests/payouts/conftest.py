"""Payout fixtures: a SANDBOX gateway served on a free port (its own thread), the app pointed at it."""

import pytest

from devtools.sandbox.server import SandboxServer
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
