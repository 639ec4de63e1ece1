"""The SANDBOX gateway on 127.0.0.1:<free port> in a thread, for the portal's payout and browser tests."""

import threading

from werkzeug.serving import make_server

from devtools.sandbox.app import create_sandbox_app


class SandboxServer:
    """The sandbox gateway on 127.0.0.1:<free port>; `.state` is its in-process state for assertions."""

    def __init__(self, secret: str, deliver=None):
        self.app = create_sandbox_app(secret, ":memory:", deliver)
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
