"""Over real HTTP: the sandbox run command, and notifications POSTed to a live app."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from werkzeug.serving import make_server

from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.orders.kinds import PaymentRoute
from portal.orders.models import Order
from portal.payouts.models import Payout
from portal.payouts.states import PayoutState, SuccessSource
from tests.factories import approved_payout, fresh
from tests.payouts.support import TEST_SECRET


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sandbox_notifies_a_live_app_which_refunds(app, gateway, db, run_jobs):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app.config["PAYOUT_NOTIFY_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
        gateway.switch(auto_settle=True, settle_delay=0.2, notify=True)
        payout_id = approved_payout(PaymentRoute.WECHAT, 2100)
        run_jobs()
        assert _wait(lambda: fresh(Payout, payout_id).state == PayoutState.SUCCEEDED)
        payout = fresh(Payout, payout_id)
        assert payout.success_source == SuccessSource.NOTIFY
        assert fresh(RefundCase, payout.case_id).state == CaseState.REFUNDED
        assert fresh(Order, payout.order_id).refunded_fen == 2100
        assert _wait(lambda: all(n["delivered"] for n in gateway.notifications()))
        assert len(gateway.notifications()) == 1
    finally:
        server.shutdown()
        thread.join(5)


def test_the_run_command_starts_a_labelled_sandbox(tmp_path):
    port = _free_port()
    env = dict(os.environ, REFUND_PAYMENT_GATEWAY_SECRET=TEST_SECRET)
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.sandbox", "--port", str(port), "--db", str(tmp_path / "s.db")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def up():
            try:
                with urllib.request.urlopen(url + "/", timeout=1) as response:  # noqa: S310
                    return response.status == 200
            except OSError:
                return False

        assert _wait(up)
        with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310
            assert "SANDBOX" in response.read().decode() and response.headers["X-Sandbox"] == "true"
        with urllib.request.urlopen(url + "/_sandbox/switches", timeout=2) as response:  # noqa: S310
            assert json.loads(response.read())["auto_settle"] is True
        # An unsigned refund request is refused.
        request = urllib.request.Request(url + "/bank/refunds", data=b"{}", method="POST")  # noqa: S310
        try:
            urllib.request.urlopen(request, timeout=2)  # noqa: S310
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        else:
            raise AssertionError("unsigned request accepted")
    finally:
        proc.terminate()
        proc.wait(5)
    assert (tmp_path / "s.db").exists()
