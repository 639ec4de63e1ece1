"""A signed gateway notification must name our order number (trade_no); without it, it is refused."""

import json

import pytest

from portal.orders.kinds import PaymentRoute
from portal.payouts import signing
from portal.payouts.models import Payout
from portal.payouts.states import PayoutState
from tests.factories import approved_payout, fresh
from tests.payouts.support import TEST_SECRET, deliver


@pytest.mark.parametrize("trade_no", [None, ""], ids=["missing", "empty"])
def test_a_signed_notification_without_the_order_number_is_refused(gateway, db, client, run_jobs, trade_no):
    payout_id = approved_payout(PaymentRoute.BANK_CARD, 3000)
    run_jobs()
    gateway.settle()
    note = gateway.notifications()[0]
    body = json.loads(note["body"])
    if trade_no is None:
        del body["trade_no"]
    else:
        body["trade_no"] = trade_no
    raw = json.dumps(body).encode()
    response = deliver(client, note, body=raw, headers=signing.signed_headers(TEST_SECRET, raw))
    assert response.status_code == 400
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED
    assert deliver(client, note).status_code == 200  # the gateway's own notification still works
    assert fresh(Payout, payout_id).state == PayoutState.SUCCEEDED
