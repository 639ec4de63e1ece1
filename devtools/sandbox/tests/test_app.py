"""The SANDBOX gateway's own app: signed provider calls only, one refund per request number, its switches."""

import json

import pytest

from devtools.sandbox.app import create_sandbox_app
from portal.payouts import signing

SECRET = "sandbox-test-secret"


@pytest.fixture
def gateway():
    return create_sandbox_app(SECRET).test_client()


def signed_post(client, path: str, payload: dict, secret: str = SECRET):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **signing.signed_headers(secret, body)}
    return client.post(path, data=body, headers=headers)


REFUND = {"out_request_no": "RP1", "out_trade_no": "T1", "refund_amount": "10.00", "total_amount": "30.00"}


def test_the_index_says_it_is_a_sandbox(gateway):
    response = gateway.get("/")
    assert response.headers["X-Sandbox"] == "true" and "no real money moves" in response.get_data(
        as_text=True
    )


def test_unsigned_or_wrongly_signed_calls_are_refused(gateway):
    assert gateway.post("/alipay/trade/refund", json=REFUND).status_code == 401
    assert signed_post(gateway, "/alipay/trade/refund", REFUND, secret="other").status_code == 401


def test_a_request_number_refunds_once_and_can_be_queried(gateway):
    first = signed_post(gateway, "/alipay/trade/refund", REFUND).get_json()
    again = signed_post(gateway, "/alipay/trade/refund", REFUND).get_json()
    assert (
        first["code"] == "10000" and first["refund_fee"] == "10.00" and again["trade_no"] == first["trade_no"]
    )
    query = {"out_request_no": "RP1", "out_trade_no": "T1"}
    assert signed_post(gateway, "/alipay/trade/fastpay/refund/query", query).get_json()["refund_status"] == (
        "REFUND_PROCESSING"
    )
    assert gateway.post("/_sandbox/settle", json={}).get_json() == {"settled": ["RP1"]}
    assert signed_post(gateway, "/alipay/trade/fastpay/refund/query", query).get_json()["refund_status"] == (
        "REFUND_SUCCESS"
    )
    assert len(gateway.get("/_sandbox/refunds").get_json()["refunds"]) == 1


def test_switches_are_set_counted_and_refuse_unknown_names(gateway):
    assert gateway.post("/_sandbox/switches", json={"error": 1}).get_json()["error"] == 1
    assert signed_post(gateway, "/bank/refunds", {"merchant_serial": "S1"}).status_code == 500
    assert gateway.get("/_sandbox/switches").get_json()["error"] == 0
    assert gateway.post("/_sandbox/switches", json={"nonsense": True}).status_code == 400
