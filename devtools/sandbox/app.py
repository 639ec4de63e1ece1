"""SANDBOX payment gateway — no real money moves. A small separate Flask app for development and tests.

    python -m devtools.sandbox --port 5055

Development only: not installed with the portal (see pyproject.toml). It models the semantics of the real
refund APIs the adapters in portal/payouts/gateways.py talk to:
- "accepted" is not "succeeded": a refund is PROCESSING until it settles a moment later;
- the result is POSTed, HMAC-signed, to the notify_url given with the request (retried until the
  merchant answers "success"), and can be asked for at any time through the query API;
- the same request number never refunds twice; the same number with a different amount is an error;
  refunds never exceed what the trade paid;
- switches that tests (or a developer) flip through POST /_sandbox/switches:
    timeout        record the request, then answer too late (the lost-answer case)
    drop           hang and answer too late WITHOUT recording anything
    reject         refuse the next submission (a business error: money did not move)
    error          answer 500 (no usable answer)
    never_settle   accept (and even say "Success" / fund_change=Y) but never move the money
    fail           the next settlement fails (account closed): money did not move
    query_timeout  answer the next query too late
    bad_signature  sign the next notification with a wrong key
  Each takes true (always), false/0 (off) or a number (the next n times). Settings: auto_settle,
  settle_delay (seconds), notify (deliver notifications), hang_seconds (how late "too late" is).
Admin endpoints (sandbox only): GET/POST /_sandbox/switches, POST /_sandbox/settle, GET /_sandbox/refunds,
GET /_sandbox/submissions, GET /_sandbox/notifications, POST /_sandbox/reset.
"""

import time
from pathlib import Path

from flask import Flask, Response, current_app, request

from devtools.sandbox.admin import admin
from devtools.sandbox.ledger import Ledger
from devtools.sandbox.providers import json_answer, providers
from devtools.sandbox.state import DEFAULT_SECRET, LABEL, Deliver, Sandbox
from portal.payouts import signing


def create_sandbox_app(
    secret: str = DEFAULT_SECRET, db_path: str | Path = ":memory:", deliver: Deliver | None = None
) -> Flask:
    """The sandbox gateway as a WSGI app; `app.sandbox` is its state (start() its threads to run it)."""
    app = Flask("sandbox_gateway")
    app.sandbox = Sandbox(secret, Ledger(db_path), deliver)
    app.after_request(_label)
    app.before_request(_check_signature)
    app.add_url_rule("/", "index", _index)
    app.register_blueprint(providers)
    app.register_blueprint(admin)
    return app


def _label(response: Response) -> Response:
    response.headers["X-Sandbox"] = "true"
    return response


def _check_signature():
    """Every provider call is signed with the shared secret (the `drop` switch hangs without an answer)."""
    if request.path.startswith("/_sandbox") or request.path == "/":
        return None
    sandbox = current_app.sandbox
    if sandbox.switches.take("drop"):
        time.sleep(sandbox.switches.hang_seconds)
        return json_answer({"error": "TIMEOUT"}, 504)
    if not signing.verify(sandbox.secret, request.headers, request.get_data()):
        return json_answer(
            {"code": "40002", "sub_code": "isv.invalid-signature", "error": "INVALID_SIGNATURE"}, 401
        )
    return None


def _index() -> Response:
    return Response(
        f"<!doctype html><title>{LABEL}</title><h1>{LABEL}</h1>"
        "<p>Refund APIs: /alipay/trade/refund, /wechat/v3/refund/domestic/refunds, /bank/refunds. "
        "Admin: /_sandbox/switches.</p>",
        mimetype="text/html",
    )
