"""Alipay over its documented wire format, against a STAND-IN Alipay on 127.0.0.1 (provider_fakes)."""

import json
from urllib.parse import parse_qsl, urlencode

import pytest

from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.orders.models import Order
from portal.payouts import services
from portal.payouts.gateways import QueryStatus, fen_to_yuan, yuan_to_fen
from portal.payouts.models import Payout
from portal.payouts.providers.alipay import canonical, response_node
from portal.payouts.states import PayoutState, SuccessSource
from tests.factories import fresh
from tests.payouts.support import post_notice, provider_payout, settings


def test_a_refund_is_signed_as_alipay_documents_and_accepted_is_not_success(alipay, db):
    payout_id = provider_payout(alipay, 1230, 3000)
    assert services.execute(payout_id, settings()) == "accepted"
    [sent] = alipay.requests
    assert sent["problems"] == [] and sent["method"] == "alipay.trade.refund"
    biz = json.loads(sent["params"]["biz_content"])
    payout = fresh(Payout, payout_id)
    assert biz == {
        "out_trade_no": payout.order.number,
        "out_request_no": payout.request_no,
        "refund_amount": "12.30",
    }
    assert sent["params"]["notify_url"].endswith("/payouts/notify/alipay")
    # The stand-in answered Success with fund_change=Y: still only "submitted".
    assert payout.state == PayoutState.SUBMITTED
    assert fresh(Order, payout.order_id).refunded_fen == 0
    assert services.query(payout_id, settings()) is QueryStatus.PROCESSING  # named, but no REFUND_SUCCESS
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED

    alipay.settle(True)
    assert services.query(payout_id, settings()) is QueryStatus.SUCCEEDED
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.QUERY
    assert fresh(RefundCase, payout.case_id).state == CaseState.REFUNDED
    assert fresh(Order, payout.order_id).refunded_fen == 1230
    assert alipay.problems() == []


@pytest.mark.parametrize(
    ("fen", "text"),
    [(1, "0.01"), (10, "0.10"), (1230, "12.30"), (99_999, "999.99"), (10_000_000, "100000.00")],
)
def test_amounts_are_yuan_strings_converted_exactly(fen, text):
    assert fen_to_yuan(fen) == text
    assert yuan_to_fen(text) == fen


def test_the_canonical_string_and_the_exact_response_node():
    params = {"b": "2", "a": "1", "sign": "x", "empty": "", "biz_content": '{"k":"中 文"}'}
    assert canonical(params) == 'a=1&b=2&biz_content={"k":"中 文"}'.encode()
    text = '{"alipay_trade_refund_response": {"code": "10000", "msg": "Success"}, "sign": "s"}'
    node, raw = response_node(text, "alipay.trade.refund")
    assert node == {"code": "10000", "msg": "Success"} and raw == '{"code": "10000", "msg": "Success"}'


def test_a_tampered_answer_is_no_answer(alipay, db):
    payout_id = provider_payout(alipay, 500)
    alipay.corrupt_answers = 1
    assert services.execute(payout_id, settings()) == "unknown"
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.PENDING and "BAD_RESPONSE_SIGNATURE" in payout.last_error
    # Sent again later with the SAME request number: one refund at Alipay.
    payout.next_attempt_at = None
    db.session.commit()
    assert services.execute(payout_id, settings()) == "accepted"
    assert {s["request_no"] for s in alipay.submissions()} == {payout.request_no}
    assert len(alipay.refunds()) == 1
    alipay.settle(True)
    alipay.corrupt_answers = 1
    assert services.query(payout_id, settings()) is QueryStatus.UNKNOWN  # a forged success is not believed
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED


def test_a_query_reporting_another_amount_is_not_believed(alipay, db, monkeypatch):
    payout_id = provider_payout(alipay, 800)
    services.execute(payout_id, settings())
    alipay.settle(True)
    real = alipay.answer

    def lying(method, node):
        if "refund_amount" in node:
            node = {**node, "refund_amount": "80.00"}
        return real(method, node)

    monkeypatch.setattr(alipay, "answer", lying)
    services.query(payout_id, settings())
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUBMITTED and payout.last_error.startswith("AMOUNT_MISMATCH")
    assert fresh(Order, payout.order_id).refunded_fen == 0


def test_a_timeout_is_sent_again_with_the_same_number(alipay, db, app):
    app.config["PAYMENT_GATEWAY_ROUTES"]["alipay"]["timeout"] = 1.0
    payout_id = provider_payout(alipay, 700)
    alipay.switch(timeout=1, hang_seconds=2.0)
    assert services.execute(payout_id, settings()) == "unknown"
    payout = fresh(Payout, payout_id)
    payout.next_attempt_at = None
    db.session.commit()
    assert services.execute(payout_id, settings()) == "accepted"
    assert [s["request_no"] for s in alipay.submissions()] == [payout.request_no] * 2
    assert len(alipay.refunds()) == 1


def test_the_notice_is_verified_and_confirmed_by_the_query(alipay, db, client):
    payout_id = provider_payout(alipay, 3000)
    services.execute(payout_id, settings())
    alipay.settle(True)
    [note] = alipay.notifications()
    answer = post_notice(client, note)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.QUERY
    queries = [r for r in alipay.requests if r["method"] == "alipay.trade.fastpay.refund.query"]
    assert len(queries) == 1
    # A replay is acknowledged and changes nothing (not even another query).
    assert post_notice(client, note).get_data(as_text=True) == "success"
    assert len([r for r in alipay.requests if r["method"].endswith("refund.query")]) == 1
    assert fresh(Order, payout.order_id).refunded_fen == 3000


def test_a_tampered_or_forged_notice_changes_nothing(alipay, db, client):
    payout_id = provider_payout(alipay, 3000)
    services.execute(payout_id, settings())
    alipay.settle(True)
    [note] = alipay.notifications()
    params = dict(parse_qsl(note["body"]))
    params["out_biz_no"] = "RP" + "0" * 20
    answer = post_notice(client, note, body=urlencode(params))
    assert (answer.status_code, answer.get_data(as_text=True)) == (400, "fail")
    alipay.switch(bad_signature=1)
    refund = alipay.refunds()[0]
    forged = alipay.notification(refund)
    assert post_notice(client, forged).status_code == 400
    assert post_notice(client, alipay.notification(refund, app_id="2021999999999999")).status_code == 400
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED
    assert len([r for r in alipay.requests if r["method"].endswith("refund.query")]) == 0


def test_a_refusal_is_a_definite_failure(alipay, db):
    payout_id = provider_payout(alipay, 500)
    alipay.switch(reject=1)
    assert services.execute(payout_id, settings()) == "rejected"
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.FAILED and payout.last_error.startswith("ACQ.")
    assert alipay.refunds() == []
