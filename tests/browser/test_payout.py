"""Refund execution in a real browser: the customer watches 退款执行中 turn into 已退款 without reloading."""

import pytest
from sqlalchemy import select

from devtools.sandbox.server import SandboxServer
from portal.extensions import db
from portal.orders.kinds import PaymentRoute
from portal.payouts.models import Payout
from portal.payouts.states import PayoutState
from tests.browser.conftest import sign_in_by_sms
from tests.factories import approve, make_case, make_order
from tests.payouts.support import TEST_SECRET

pytestmark = pytest.mark.browser


@pytest.fixture
def sandbox_gateway(live_server):
    """The sandbox gateway, notifying the live server; it settles only when the test says so."""
    server = SandboxServer(TEST_SECRET).start()
    server.switch(auto_settle=False, notify=True)
    live_server.app.config.update(
        PAYMENT_GATEWAY_URL=server.url,
        PAYMENT_GATEWAY_SECRET=TEST_SECRET,
        PAYOUT_NOTIFY_BASE_URL=live_server.url,
        PROGRESS_POLL_SECONDS=1,
    )
    yield server
    server.close()


def _payout_state(app, case_id):
    with app.app_context():
        state = db.session.scalar(select(Payout.state).where(Payout.case_id == case_id))
        db.session.remove()
    return state


def test_customer_watches_refund_executing_become_refunded(phone_page, live_server, sandbox_gateway):
    app = live_server.app
    page = phone_page()
    sign_in_by_sms(page, live_server)  # first: it reads the newest SMS, which must be the code
    page.wait_for_url("**/orders")
    with app.app_context():
        case = make_case(make_order(PaymentRoute.WECHAT, 3000))  # the demo customer's new order
        approve(case)
        case_id = case.id
        db.session.remove()
    page.goto(f"/cases/{case_id}")
    # The worker sends the payout at once: the case shows 退款执行中 (accepted is not refunded).
    page.locator(".case-state", has_text="退款执行中").wait_for()
    assert _payout_state(app, case_id) == PayoutState.SUBMITTED
    page.evaluate("window.__stillHere = true")  # gone if the page reloads

    sandbox_gateway.settle()  # the money moves; the signed notification reaches the live app
    page.locator(".case-state", has_text="已退款").wait_for(timeout=15_000)
    assert page.evaluate("window.__stillHere") is True
    assert _payout_state(app, case_id) == PayoutState.SUCCEEDED
    assert all(n["delivered"] for n in sandbox_gateway.notifications())
