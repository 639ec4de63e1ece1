"""The SANDBOX's own controls (no provider has these): switches, settle now, what was asked and told."""

from flask import Blueprint, current_app, request

from devtools.sandbox.ledger import Refund
from devtools.sandbox.providers import json_answer

admin = Blueprint("admin", __name__, url_prefix="/_sandbox")


def _dump(refund: Refund) -> dict:
    return {
        "route": refund.route,
        "request_no": refund.request_no,
        "trade_no": refund.trade_no,
        "amount_fen": refund.amount_fen,
        "status": str(refund.status),
        "gateway_ref": refund.gateway_ref,
        "attempts": refund.attempts,
        "never_settle": refund.never_settle,
    }


@admin.route("/switches", methods=["GET", "POST"])
def switches():
    sandbox = current_app.sandbox
    if request.method == "POST":
        try:
            sandbox.switches.update(request.get_json(force=True) or {})
        except (ValueError, TypeError) as exc:
            return json_answer({"error": str(exc)}, 400)
    return json_answer(sandbox.switches.snapshot())


@admin.post("/settle")
def settle():
    sandbox = current_app.sandbox
    body = request.get_json(silent=True) or {}
    success = body.get("success")
    if body.get("request_no"):
        targets = [(body.get("route", ""), body["request_no"])]
    else:
        targets = [(r.route, r.request_no) for r in sandbox.ledger.processing()]
    settled = [sandbox.settle(route, no, success) for route, no in targets]
    return json_answer({"settled": [r.request_no for r in settled if r is not None]})


@admin.get("/refunds")
def refunds():
    return json_answer({"refunds": [_dump(r) for r in current_app.sandbox.ledger.refunds()]})


@admin.get("/submissions")
def submissions():
    return json_answer({"submissions": current_app.sandbox.ledger.submissions()})


@admin.get("/notifications")
def notifications():
    return json_answer({"notifications": current_app.sandbox.notifications_snapshot()})


@admin.post("/reset")
def reset():
    current_app.sandbox.reset()
    return json_answer({"reset": True})
