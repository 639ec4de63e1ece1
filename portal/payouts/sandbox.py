"""SANDBOX payment gateway — no real money moves. A small separate Flask app for development and tests.

    python -m portal.payouts.sandbox --port 5055

It models the semantics of the real refund APIs the adapters in gateways.py talk to:
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

import argparse
import json
import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, jsonify, request

from portal.payouts import signing
from portal.payouts.gateways import fen_to_yuan, yuan_to_fen
from portal.payouts.sandbox_ledger import Ledger, LedgerError, Refund, RefundStatus

log = logging.getLogger("sandbox-gateway")

DEFAULT_SECRET = signing.DEV_SECRET
FLAGS = ("timeout", "drop", "reject", "error", "never_settle", "fail", "query_timeout", "bad_signature")
NOTIFY_BACKOFF = (0.0, 0.5, 2.0, 5.0, 15.0, 60.0, 300.0)
LABEL = "SANDBOX payment gateway — test only, no real money moves"

Deliver = Callable[[str, dict, bytes], bool]


class Switches:
    """Failure switches and settings, shared by the request threads and the settler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._flags: dict[str, int] = dict.fromkeys(FLAGS, 0)  # -1 = always, n > 0 = next n times
            self.auto_settle = True
            self.settle_delay = 0.3
            self.notify = True
            self.hang_seconds = 2.0

    def update(self, data: dict) -> None:
        """Apply a JSON object of switches and settings; raises ValueError for unknown keys."""
        with self._lock:
            for key, value in data.items():
                if key in FLAGS:
                    if isinstance(value, bool):
                        self._flags[key] = -1 if value else 0
                    elif isinstance(value, int) and value >= 0:
                        self._flags[key] = value
                    else:
                        raise ValueError(f"{key}: true, false or a count")
                elif key in ("auto_settle", "notify"):
                    setattr(self, key, bool(value))
                elif key in ("settle_delay", "hang_seconds"):
                    setattr(self, key, float(value))
                else:
                    raise ValueError(f"unknown switch {key}")

    def take(self, name: str) -> bool:
        """Whether the switch is on for this event (a counted switch is used up by one)."""
        with self._lock:
            value = self._flags[name]
            if value > 0:
                self._flags[name] = value - 1
            return value != 0

    def snapshot(self) -> dict:
        with self._lock:
            flags = {k: (True if v < 0 else v) for k, v in self._flags.items()}
            return {
                **flags,
                "auto_settle": self.auto_settle,
                "settle_delay": self.settle_delay,
                "notify": self.notify,
                "hang_seconds": self.hang_seconds,
            }


def http_deliver(url: str, headers: dict, body: bytes) -> bool:
    """POST the notification; delivered when the merchant answers 200/204 with "success" (or nothing)."""
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=5) as response:  # noqa: S310
            text = response.read().decode(errors="replace").strip().lower()
            return response.status in (200, 204) and text in ("", "success", '{"code":"success"}')
    except (urllib.error.URLError, OSError) as exc:
        log.info("notification to %s not delivered: %s", url, exc)
        return False


class Sandbox:
    """The gateway's state: ledger, switches, notification log; and its settler / notifier threads."""

    def __init__(self, secret: str, ledger: Ledger | None = None, deliver: Deliver | None = None):
        self.secret = secret
        self.ledger = ledger or Ledger()
        self.switches = Switches()
        self.deliver = deliver or http_deliver
        self.notifications: list[dict] = []
        self._notes_lock = threading.Lock()
        self._outbox: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # Background work ---------------------------------------------------------------------------
    def start(self) -> "Sandbox":
        for target in (self._settle_loop, self._notify_loop):
            thread = threading.Thread(target=target, daemon=True, name=f"sandbox-{target.__name__}")
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)

    def _settle_loop(self) -> None:
        while not self._stop.wait(0.05):
            if not self.switches.auto_settle:
                continue
            for refund in self.ledger.processing(older_than=self.switches.settle_delay):
                self.settle(refund.route, refund.request_no)

    def settle(self, route: str, request_no: str, success: bool | None = None) -> Refund | None:
        """Settle one processing refund now (success unless the fail switch says otherwise)."""
        if success is None:
            success = not self.switches.take("fail")
        refund = self.ledger.settle(route, request_no, success, "" if success else "ACCOUNT_CLOSED")
        if refund is not None:
            self._notify(refund)
        return refund

    def _notify(self, refund: Refund) -> None:
        payload = {
            "sandbox": True,
            "notify_id": uuid.uuid4().hex,
            "route": refund.route,
            "request_no": refund.request_no,
            "trade_no": refund.trade_no,
            "gateway_ref": refund.gateway_ref,
            "amount_fen": refund.amount_fen,
            "status": "SUCCESS" if refund.status is RefundStatus.SUCCESS else "FAILED",
            "reason": refund.fail_reason,
            "settled_at": time.time(),
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        key = "wrong-" + self.secret if self.switches.take("bad_signature") else self.secret
        headers = {"Content-Type": "application/json", **signing.signed_headers(key, body)}
        note = {
            "id": len(self.notifications) + 1,
            "url": refund.notify_url,
            "headers": headers,
            "body": body.decode(),
            "attempts": 0,
            "delivered": False,
        }
        with self._notes_lock:
            note["id"] = len(self.notifications) + 1
            self.notifications.append(note)
        if refund.notify_url and self.switches.notify:
            self._outbox.put((note, 0, time.time()))

    def _notify_loop(self) -> None:
        while not self._stop.is_set():
            try:
                note, attempt, due = self._outbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if due > time.time():
                self._outbox.put((note, attempt, due))
                self._stop.wait(0.05)
                continue
            delivered = self.deliver(note["url"], note["headers"], note["body"].encode())
            with self._notes_lock:
                note["attempts"] += 1
                note["delivered"] = note["delivered"] or delivered
            if not delivered and attempt + 1 < len(NOTIFY_BACKOFF):
                self._outbox.put((note, attempt + 1, time.time() + NOTIFY_BACKOFF[attempt + 1]))

    def notifications_snapshot(self) -> list[dict]:
        with self._notes_lock:
            return [dict(n) for n in self.notifications]

    # Requests ----------------------------------------------------------------------------------
    def submit(self, route, request_no, trade_no, amount_fen, total_fen, notify_url) -> Refund:
        """Record a refund request, applying the switches; raises LedgerError."""
        if self.switches.take("reject"):
            raise LedgerError("SYSTEM_REFUSED", "sandbox switch: the refund was refused")
        never = self.switches.take("never_settle")
        return self.ledger.submit(route, request_no, trade_no, amount_fen, total_fen, notify_url, never)

    def reset(self) -> None:
        self.ledger.reset()
        self.switches.reset()
        with self._notes_lock:
            self.notifications.clear()


def create_sandbox_app(
    secret: str = DEFAULT_SECRET, db_path: str | Path = ":memory:", deliver: Deliver | None = None
) -> Flask:
    """The sandbox gateway as a WSGI app; `app.sandbox` is its state (start() its threads to run it)."""
    app = Flask("sandbox_gateway")
    sandbox = Sandbox(secret, Ledger(db_path), deliver)
    app.sandbox = sandbox
    _routes(app, sandbox)
    return app


def _routes(app: Flask, sandbox: Sandbox) -> None:  # noqa: C901 - one small handler per provider call
    switches = sandbox.switches

    @app.after_request
    def label(response: Response) -> Response:
        response.headers["X-Sandbox"] = "true"
        return response

    @app.before_request
    def check_signature():
        if request.path.startswith("/_sandbox") or request.path == "/":
            return None
        if switches.take("drop"):
            time.sleep(switches.hang_seconds)
            return _json({"error": "TIMEOUT"}, 504)
        if not signing.verify(sandbox.secret, request.headers, request.get_data()):
            return _json(
                {"code": "40002", "sub_code": "isv.invalid-signature", "error": "INVALID_SIGNATURE"}, 401
            )
        return None

    def late(response: Response) -> Response:
        time.sleep(switches.hang_seconds)
        return response

    @app.get("/")
    def index():
        return Response(
            f"<!doctype html><title>{LABEL}</title><h1>{LABEL}</h1>"
            "<p>Refund APIs: /alipay/trade/refund, /wechat/v3/refund/domestic/refunds, /bank/refunds. "
            "Admin: /_sandbox/switches.</p>",
            mimetype="text/html",
        )

    def submit_or_error(route, request_no, trade_no, amount_fen, total_fen):
        if switches.take("error"):
            return None, _json({"error": "SYSTEM_ERROR", "code": "SYSTEM_ERROR"}, 500)
        body = request.get_json(silent=True) or {}
        try:
            refund = sandbox.submit(
                route, request_no, trade_no, amount_fen, total_fen, str(body.get("notify_url", ""))
            )
        except LedgerError as exc:
            return exc, None
        return refund, None

    @app.post("/alipay/trade/refund")
    def alipay_refund():
        body = request.get_json(silent=True) or {}
        try:
            amount, total = (
                yuan_to_fen(str(body["refund_amount"])),
                yuan_to_fen(str(body.get("total_amount", "0"))),
            )
        except (KeyError, ValueError, ArithmeticError):
            return _json({"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-amount"})
        result, error = submit_or_error(
            "alipay", body.get("out_request_no", ""), body.get("out_trade_no", ""), amount, total
        )
        if error is not None:
            return error
        if isinstance(result, LedgerError):
            return _json(
                {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ." + result.code,
                    "sub_msg": result.message,
                }
            )
        # Modelled on the real API: a synchronous "Success" (fund_change=Y even, when never_settle lies).
        answer = _json(
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
        return late(answer) if switches.take("timeout") else answer

    @app.post("/alipay/trade/fastpay/refund/query")
    def alipay_query():
        body = request.get_json(silent=True) or {}
        refund = sandbox.ledger.get("alipay", str(body.get("out_request_no", "")))
        if refund is None or refund.trade_no != body.get("out_trade_no"):
            answer = _json({"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"})
        else:
            status = {"success": "REFUND_SUCCESS", "processing": "REFUND_PROCESSING", "failed": "REFUND_FAIL"}
            answer = _json(
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
        return late(answer) if switches.take("query_timeout") else answer

    @app.post("/wechat/v3/refund/domestic/refunds")
    def wechat_refund():
        body = request.get_json(silent=True) or {}
        amount = body.get("amount") or {}
        refund_fen, total_fen = amount.get("refund"), amount.get("total")
        result, error = submit_or_error(
            "wechat", body.get("out_refund_no", ""), body.get("out_trade_no", ""), refund_fen, total_fen
        )
        if error is not None:
            return error
        if isinstance(result, LedgerError):
            code = {"REFUND_EXCEEDS_PAID": "NOT_ENOUGH", "SYSTEM_REFUSED": "USER_ACCOUNT_ABNORMAL"}.get(
                result.code, "INVALID_REQUEST"
            )
            return _json(
                {"code": code, "message": result.message, "detail": result.code},
                403 if code != "INVALID_REQUEST" else 400,
            )
        answer = _json(_wechat_view(result, lie=result.never_settle))
        return late(answer) if switches.take("timeout") else answer

    @app.get("/wechat/v3/refund/domestic/refunds/<out_refund_no>")
    def wechat_query(out_refund_no: str):
        refund = sandbox.ledger.get("wechat", out_refund_no)
        answer = (
            _json({"code": "RESOURCE_NOT_EXISTS", "message": "no such refund"}, 404)
            if refund is None
            else _json(_wechat_view(refund))
        )
        return late(answer) if switches.take("query_timeout") else answer

    @app.post("/bank/refunds")
    def bank_refund():
        body = request.get_json(silent=True) or {}
        result, error = submit_or_error(
            "bank_card",
            body.get("merchant_serial", ""),
            body.get("original_order", ""),
            body.get("amount_fen"),
            body.get("total_fen"),
        )
        if error is not None:
            return error
        if isinstance(result, LedgerError):
            return _json(
                {"error": result.code, "message": result.message},
                409 if result.code == "REQUEST_NO_CONFLICT" else 400,
            )
        answer = _json(_bank_view(result, lie=result.never_settle), 202)
        return late(answer) if switches.take("timeout") else answer

    @app.get("/bank/refunds/<serial>")
    def bank_query(serial: str):
        refund = sandbox.ledger.get("bank_card", serial)
        answer = _json({"error": "NOT_FOUND"}, 404) if refund is None else _json(_bank_view(refund))
        return late(answer) if switches.take("query_timeout") else answer

    # Admin (sandbox only) ----------------------------------------------------------------------
    @app.route("/_sandbox/switches", methods=["GET", "POST"])
    def admin_switches():
        if request.method == "POST":
            try:
                switches.update(request.get_json(force=True) or {})
            except (ValueError, TypeError) as exc:
                return _json({"error": str(exc)}, 400)
        return _json(switches.snapshot())

    @app.post("/_sandbox/settle")
    def admin_settle():
        body = request.get_json(silent=True) or {}
        success = body.get("success")
        if body.get("request_no"):
            targets = [(body.get("route", ""), body["request_no"])]
        else:
            targets = [(r.route, r.request_no) for r in sandbox.ledger.processing()]
        settled = [sandbox.settle(route, no, success) for route, no in targets]
        return _json({"settled": [r.request_no for r in settled if r is not None]})

    @app.get("/_sandbox/refunds")
    def admin_refunds():
        return _json({"refunds": [_dump(r) for r in sandbox.ledger.refunds()]})

    @app.get("/_sandbox/submissions")
    def admin_submissions():
        return _json({"submissions": sandbox.ledger.submissions()})

    @app.get("/_sandbox/notifications")
    def admin_notifications():
        return _json({"notifications": sandbox.notifications_snapshot()})

    @app.post("/_sandbox/reset")
    def admin_reset():
        sandbox.reset()
        return _json({"reset": True})


def _json(data: dict, status: int = 200) -> Response:
    response = jsonify(data)
    response.status_code = status
    return response


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


def _bank_view(refund: Refund, lie: bool = False) -> dict:
    state = {"success": "SETTLED", "processing": "ACCEPTED", "failed": "RETURNED"}[refund.status]
    return {
        "sandbox": True,
        "serial": refund.request_no,
        "reference": refund.gateway_ref,
        "state": "SETTLED" if lie else state,
        "amount_fen": refund.amount_fen,
    }


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


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox gateway (threaded), with its settler and notifier running."""
    from werkzeug.serving import make_server

    from portal.config import INSTANCE

    parser = argparse.ArgumentParser(description=LABEL)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--secret",
        default=os.environ.get("REFUND_PAYMENT_GATEWAY_SECRET", DEFAULT_SECRET),
        help="HMAC key shared with the portal (PAYMENT_GATEWAY_SECRET)",
    )
    parser.add_argument("--db", default=str(INSTANCE / "payment-sandbox.db"), help="SQLite file, or :memory:")
    parser.add_argument("--settle-delay", type=float, default=2.0, help="seconds before a refund settles")
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=8.0,
        help="how late the timeout switches answer (longer than the portal's PAYMENT_GATEWAY_TIMEOUT)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox-gateway %(message)s")
    app = create_sandbox_app(args.secret, args.db)
    app.sandbox.switches.update({"settle_delay": args.settle_delay, "hang_seconds": args.hang_seconds})
    app.sandbox.start()
    server = make_server(args.host, args.port, app, threaded=True)
    log.warning("%s — listening on http://%s:%s", LABEL, args.host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.sandbox.stop()


if __name__ == "__main__":
    main()
