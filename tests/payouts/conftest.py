"""Payout fixtures: a SANDBOX gateway served on a free port (its own thread), the app pointed at it."""

import threading

import pytest
from werkzeug.serving import make_server

from portal.payouts.sandbox import create_sandbox_app
from tests.payouts.support import TEST_SECRET


class SandboxServer:
    """The sandbox gateway on 127.0.0.1:<free port>; `.state` is its in-process state for assertions."""

    def __init__(self, deliver=None):
        self.app = create_sandbox_app(TEST_SECRET, ":memory:", deliver)
        self.state = self.app.sandbox
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "SandboxServer":
        self.thread.start()
        self.state.start()
        return self

    def close(self) -> None:
        self.state.stop()
        self.server.shutdown()
        self.thread.join(5)

    def switch(self, **switches) -> None:
        self.state.switches.update(switches)

    def settle(self, success: bool | None = None) -> list:
        """Settle every processing refund now (as the gateway would a moment later)."""
        return [self.state.settle(r.route, r.request_no, success) for r in self.state.ledger.processing()]

    def refunds(self) -> list:
        return self.state.ledger.refunds()

    def submissions(self) -> list[dict]:
        return self.state.ledger.submissions()

    def notifications(self) -> list[dict]:
        return self.state.notifications_snapshot()


@pytest.fixture
def sandbox():
    """A fresh sandbox gateway; settles and notifies only when a test says so."""
    server = SandboxServer().start()
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
