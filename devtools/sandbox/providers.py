"""The SANDBOX's refund APIs, one handler per provider call: Alipay, WeChat Pay and the bank.

Each answers as the real API would (modelled, not copied), applying the failure switches: `error` answers 500,
`timeout` records the refund and answers too late, `query_timeout` answers a query too late.
"""

import time

from flask import Blueprint, Response, current_app, jsonify, request

from devtools.sandbox.ledger import LedgerError, Refund, RefundStatus
from devtools.sandbox.state import Sandbox
from portal.payouts.gateways import fen_to_yuan, yuan_to_fen

providers = Blueprint("providers", __name__)


def json_answer(data: dict, status: int = 200) -> Response:
    response = jsonify(data)
    response.status_code = status
    return response


def _sandbox() -> Sandbox:
    return current_app.sandbox


def _late(response: Response) -> Response:
    time.sleep(_sandbox().switches.hang_seconds)
    return response


def _answer(response: Response, switch: str) -> Response:
    """The answer, or the same answer too late when the switch is on."""
    return _late(response) if _sandbox().switches.take(switch) else response


def _submit_or_error(route, request_no, trade_no, amount_fen, total_fen):
    """(refund or LedgerError, None), or (None, a 500 answer) when the error switch is on."""
    sandbox = _sandbox()
    if sandbox.switches.take("error"):
        return None, json_answer({"error": "SYSTEM_ERROR", "code": "SYSTEM_ERROR"}, 500)
    body = request.get_json(silent=True) or {}
    try:
        refund = sandbox.submit(
            route, request_no, trade_no, amount_fen, total_fen, str(body.get("notify_url", ""))
        )
    except LedgerError as exc:
        return exc, None
    return refund, None


# Alipay ----------------------------------------------------------------------------------------


@providers.post("/alipay/trade/refund")
def alipay_refund():
    body = request.get_json(silent=True) or {}
    try:
        amount, total = (
            yuan_to_fen(str(body["refund_amount"])),
            yuan_to_fen(str(body.get("total_amount", "0"))),
        )
    except (KeyError, ValueError, ArithmeticError):
        return json_answer({"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-amount"})
    result, error = _submit_or_error(
        "alipay", body.get("out_request_no", ""), body.get("out_trade_no", ""), amount, total
    )
    if error is not None:
        return error
    if isinstance(result, LedgerError):
        return json_answer(
            {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ." + result.code,
                "sub_msg": result.message,
            }
        )
    # Modelled on the real API: a synchronous "Success" (fund_change=Y even, when never_settle lies).
    answer = json_answer(
        {
            "sandbox": True,
            "code": "10000",
            "msg": "Success",
            "trade_no": result.gateway_ref,
            "out_trade_no": result.trade_no,
            "out_request_no": result.request_no,
            "refund_fee": fen_to_yuan(result.amount_fen),
            "fund_change": "Y" if result.never_settle or result.status is RefundStatus.SUCCESS else "N",
        }
    )
    return _answer(answer, "timeout")


@providers.post("/alipay/trade/fastpay/refund/query")
def alipay_query():
    body = request.get_json(silent=True) or {}
    refund = _sandbox().ledger.get("alipay", str(body.get("out_request_no", "")))
    if refund is None or refund.trade_no != body.get("out_trade_no"):
        answer = json_answer({"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"})
    else:
        status = {"success": "REFUND_SUCCESS", "processing": "REFUND_PROCESSING", "failed": "REFUND_FAIL"}
        answer = json_answer(
            {
                "sandbox": True,
                "code": "10000",
                "msg": "Success",
                "trade_no": refund.gateway_ref,
                "out_request_no": refund.request_no,
                "refund_amount": fen_to_yuan(refund.amount_fen),
                "refund_status": status[refund.status],
            }
        )
    return _answer(answer, "query_timeout")


# WeChat Pay ------------------------------------------------------------------------------------


def _wechat_view(refund: Refund, lie: bool = False) -> dict:
    status = {"success": "SUCCESS", "processing": "PROCESSING", "failed": "ABNORMAL"}[refund.status]
    return {
        "sandbox": True,
        "refund_id": refund.gateway_ref,
        "out_refund_no": refund.request_no,
        "out_trade_no": refund.trade_no,
        "status": "SUCCESS" if lie else status,
        "amount": {"refund": refund.amount_fen, "currency": "CNY"},
    }


@providers.post("/wechat/v3/refund/domestic/refunds")
def wechat_refund():
    body = request.get_json(silent=True) or {}
    amount = body.get("amount") or {}
    refund_fen, total_fen = amount.get("refund"), amount.get("total")
    result, error = _submit_or_error(
        "wechat", body.get("out_refund_no", ""), body.get("out_trade_no", ""), refund_fen, total_fen
    )
    if error is not None:
        return error
    if isinstance(result, LedgerError):
        code = {"REFUND_EXCEEDS_PAID": "NOT_ENOUGH", "SYSTEM_REFUSED": "USER_ACCOUNT_ABNORMAL"}.get(
            result.code, "INVALID_REQUEST"
        )
        return json_answer(
            {"code": code, "message": result.message, "detail": result.code},
            403 if code != "INVALID_REQUEST" else 400,
        )
    return _answer(json_answer(_wechat_view(result, lie=result.never_settle)), "timeout")


@providers.get("/wechat/v3/refund/domestic/refunds/<out_refund_no>")
def wechat_query(out_refund_no: str):
    refund = _sandbox().ledger.get("wechat", out_refund_no)
    answer = (
        json_answer({"code": "RESOURCE_NOT_EXISTS", "message": "no such refund"}, 404)
        if refund is None
        else json_answer(_wechat_view(refund))
    )
    return _answer(answer, "query_timeout")


# Bank ------------------------------------------------------------------------------------------


def _bank_view(refund: Refund, lie: bool = False) -> dict:
    state = {"success": "SETTLED", "processing": "ACCEPTED", "failed": "RETURNED"}[refund.status]
    return {
        "sandbox": True,
        "serial": refund.request_no,
        "reference": refund.gateway_ref,
        "state": "SETTLED" if lie else state,
        "amount_fen": refund.amount_fen,
    }


@providers.post("/bank/refunds")
def bank_refund():
    body = request.get_json(silent=True) or {}
    result, error = _submit_or_error(
        "bank_card",
        body.get("merchant_serial", ""),
        body.get("original_order", ""),
        body.get("amount_fen"),
        body.get("total_fen"),
    )
    if error is not None:
        return error
    if isinstance(result, LedgerError):
        return json_answer(
            {"error": result.code, "message": result.message},
            409 if result.code == "REQUEST_NO_CONFLICT" else 400,
        )
    return _answer(json_answer(_bank_view(result, lie=result.never_settle), 202), "timeout")


@providers.get("/bank/refunds/<serial>")
def bank_query(serial: str):
    refund = _sandbox().ledger.get("bank_card", serial)
    answer = json_answer({"error": "NOT_FOUND"}, 404) if refund is None else json_answer(_bank_view(refund))
    return _answer(answer, "query_timeout")
