"""WeChat Pay API v3 over its documented wire format, against a STAND-IN on 127.0.0.1 (provider_fakes)."""

import json
import time

from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.orders.models import Order
from portal.payouts import services
from portal.payouts.gateways import QueryStatus
from portal.payouts.models import Payout
from portal.payouts.providers.wechatpay import answer_message, request_message
from portal.payouts.states import PayoutState, SuccessSource
from tests.factories import fresh
from tests.payouts.provider_fakes import APIV3_KEY
from tests.payouts.support import post_notice, provider_payout, settings


def test_the_canonical_strings():
    assert request_message("GET", "/v3/refund/domestic/refunds/RP1", "1554208460", "N", "") == (
        b"GET\n/v3/refund/domestic/refunds/RP1\n1554208460\nN\n\n"
    )
    assert answer_message("1554209980", "c5ac7061", b'{"a":1}') == b'1554209980\nc5ac7061\n{"a":1}\n'


def test_a_refund_is_signed_as_wechat_pay_documents_and_accepted_is_not_success(wechatpay, db):
    payout_id = provider_payout(wechatpay, 2100, 5000)
    wechatpay.switch(never_settle=1)  # the stand-in even answers status SUCCESS
    assert services.execute(payout_id, settings()) == "accepted"
    [sent] = wechatpay.requests
    assert sent["problems"] == [] and (sent["method"], sent["path"]) == (
        "POST",
        "/v3/refund/domestic/refunds",
    )
    payout = fresh(Payout, payout_id)
    body = json.loads(sent["body"])
    assert body["out_refund_no"] == payout.request_no and body["out_trade_no"] == payout.order.number
    assert body["amount"] == {"refund": 2100, "total": 5000, "currency": "CNY"}
    assert body["notify_url"].endswith("/payouts/notify/wechat")
    assert payout.state == PayoutState.SUBMITTED
    assert fresh(Order, payout.order_id).refunded_fen == 0
    # The query says PROCESSING (the money never moved): still not success.
    assert services.query(payout_id, settings()) is QueryStatus.PROCESSING
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED


def test_success_only_from_the_query(wechatpay, db):
    payout_id = provider_payout(wechatpay, 1500)
    services.execute(payout_id, settings())
    wechatpay.settle(True)
    assert services.query(payout_id, settings()) is QueryStatus.SUCCEEDED
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.QUERY
    assert fresh(Order, payout.order_id).refunded_fen == 1500
    # Every request carried a fresh nonce and timestamp (the stand-in refuses a reused nonce).
    assert wechatpay.problems() == [] and len(wechatpay.nonces) == len(wechatpay.requests) == 2


def test_an_answer_with_a_bad_signature_is_no_answer(wechatpay, db):
    payout_id = provider_payout(wechatpay, 900)
    wechatpay.corrupt_answers = 1
    assert services.execute(payout_id, settings()) == "unknown"
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.PENDING and "BAD_RESPONSE_SIGNATURE" in payout.last_error
    payout.next_attempt_at = None
    db.session.commit()
    assert services.execute(payout_id, settings()) == "accepted"
    assert {s["request_no"] for s in wechatpay.submissions()} == {payout.request_no}
    wechatpay.settle(True)
    wechatpay.corrupt_answers = 1
    assert services.query(payout_id, settings()) is QueryStatus.UNKNOWN
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED


def test_the_encrypted_notice_refunds_once(wechatpay, db, client):
    payout_id = provider_payout(wechatpay, 3000)
    services.execute(payout_id, settings())
    wechatpay.settle(True)
    [note] = wechatpay.notifications()
    assert "ciphertext" in note["body"] and str(payout_id) not in json.loads(note["body"])["resource"]
    answer = post_notice(client, note)
    assert answer.status_code == 204
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.NOTIFY
    assert fresh(RefundCase, payout.case_id).state == CaseState.REFUNDED
    events = len(fresh(RefundCase, payout.case_id).events)
    assert post_notice(client, note).status_code == 204  # a replay: acknowledged, nothing changes
    assert len(fresh(RefundCase, payout.case_id).events) == events
    assert fresh(Order, payout.order_id).refunded_fen == 3000


def test_tampered_stale_forged_or_wrong_notices_change_nothing(wechatpay, db, client):
    payout_id = provider_payout(wechatpay, 3000)
    services.execute(payout_id, settings())
    wechatpay.settle(True)
    [refund] = wechatpay.refunds()
    note = wechatpay.notifications()[0]
    tampered = note["body"].replace('"REFUND.SUCCESS"', '"REFUND.CLOSED"')
    rejected = [
        post_notice(client, note, body=tampered),
        post_notice(client, wechatpay.notification(refund, at=time.time() - 600)),  # a replay, too late
        post_notice(client, wechatpay.notification(refund, key=APIV3_KEY[::-1])),  # not our APIv3 key
        post_notice(client, wechatpay.notification(refund, {"amount": {"refund": 30000, "total": 3000}})),
        post_notice(client, wechatpay.notification(refund, {"mchid": "1900000002"})),
    ]
    wechatpay.switch(bad_signature=1)
    rejected.append(post_notice(client, wechatpay.notification(refund)))
    for answer in rejected:
        assert answer.status_code == 400 and answer.get_json()["code"] == "FAIL"
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED


def test_a_timeout_is_sent_again_with_the_same_number(wechatpay, db, app):
    app.config["PAYMENT_GATEWAY_ROUTES"]["wechat"]["timeout"] = 1.0
    payout_id = provider_payout(wechatpay, 700)
    wechatpay.switch(timeout=1, hang_seconds=2.0)
    assert services.execute(payout_id, settings()) == "unknown"
    payout = fresh(Payout, payout_id)
    payout.next_attempt_at = None
    db.session.commit()
    assert services.execute(payout_id, settings()) == "accepted"
    assert [s["request_no"] for s in wechatpay.submissions()] == [payout.request_no] * 2
    assert len(wechatpay.refunds()) == 1


def test_a_closed_refund_is_a_failure_to_retry(wechatpay, db):
    payout_id = provider_payout(wechatpay, 400)
    services.execute(payout_id, settings())
    wechatpay.settle(False)
    assert services.query(payout_id, settings()) is QueryStatus.FAILED
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.FAILED and payout.failures == 1
