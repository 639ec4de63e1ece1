"""STAND-INS for Alipay and WeChat Pay (tests only): small HTTP servers on 127.0.0.1 that speak the
providers' documented wire format and check ours exactly, so no test ever reaches a real provider.

Each fake verifies what the provider documents (written here independently of the adapters, so that
a mistake in an adapter's canonical string is caught rather than mirrored):
- Alipay: the common parameters, the RSA2 signature over the sorted `name=value&…` string (sign and
  empty values left out, values raw), the Beijing-time timestamp; it answers with the response node
  signed by "Alipay's" key, and signs notices over the sorted parameters less sign and sign_type.
- WeChat Pay v3: the Authorization header (schema, mchid, serial_no, a fresh timestamp and a nonce
  never seen before), the signature over "METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n", Accept and
  User-Agent; it signs every answer in the Wechatpay-* headers and encrypts notices (AEAD_AES_256_GCM).

The books are the sandbox's ledger and switches (one request number refunds once, never above what
was paid, the same failure switches), so the same property test runs against every adapter.
"""

import base64
import json
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Response, request
from werkzeug.serving import make_server

from devtools.sandbox.ledger import Ledger, LedgerError, RefundStatus
from devtools.sandbox.state import Sandbox

ALIPAY_APP_ID = "2021000000000000"
WECHAT_MCHID = "1900000001"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A72"
PLATFORM_SERIAL = "PUB_KEY_ID_0114232134912410000000000000"
APIV3_KEY = "0123456789abcdefABCDEF0123456789"  # test value: 32 characters
BEIJING = timezone(timedelta(hours=8))
LABEL = "STAND-IN provider (tests only): no real money moves"


@cache
def key_pair(name: str) -> tuple[str, str]:
    """(private PEM, public PEM) of a test RSA key made for this run; never committed anywhere."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def rsa_sign(private_pem: str, message: bytes) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_pem: str, message: bytes, signature: str) -> bool:
    key = serialization.load_pem_public_key(public_pem.encode())
    try:
        key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


class FakeProvider:
    """The common part: a labelled Flask app on a free port, the sandbox's books, what was checked."""

    route = ""

    def __init__(self):
        self.state = Sandbox("unused", Ledger(":memory:"), deliver=lambda *args: False)
        self.state.switches.update({"auto_settle": False, "notify": False, "hang_seconds": 1.5})
        self.paid: dict[str, int] = {}  # trade number → what the customer paid (the provider knows it)
        self.requests: list[dict] = []  # every request, with the problems found in it
        self.notes: list[dict] = []
        self.lock = threading.Lock()
        self.app = Flask(f"fake_{self.route}")
        self.app.after_request(self._label)
        self.routes()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _label(response: Response) -> Response:
        response.headers["X-Stand-In"] = LABEL
        return response

    def routes(self) -> None:
        raise NotImplementedError

    def start(self) -> "FakeProvider":
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    # The sandbox server's interface, for the shared property test.
    def switch(self, **switches) -> None:
        self.state.switches.update(switches)

    def settle(self, success: bool | None = None) -> list:
        settled = [self.state.settle(r.route, r.request_no, success) for r in self.state.ledger.processing()]
        for refund in settled:
            if refund is not None:
                self.notes.append(self.notification(refund))
        return settled

    def refunds(self) -> list:
        return self.state.ledger.refunds()

    def submissions(self) -> list[dict]:
        return self.state.ledger.submissions()

    def notifications(self) -> list[dict]:
        return list(self.notes)

    def problems(self) -> list[str]:
        return [p for r in self.requests for p in r["problems"]]

    def notification(self, refund) -> dict:
        raise NotImplementedError

    def hang(self) -> None:
        time.sleep(self.state.switches.hang_seconds)

    def book(self, request_no: str, trade_no: str, amount_fen: int, notify_url: str):
        """The sandbox ledger's answer to a refund request, or a LedgerError."""
        if self.state.switches.take("reject"):
            return LedgerError("SYSTEM_REFUSED", "stand-in switch: refused")
        try:
            return self.state.submit(
                self.route, request_no, trade_no, amount_fen, self.paid.get(trade_no, 0), notify_url
            )
        except LedgerError as exc:
            return exc


# Alipay ---------------------------------------------------------------------------------------------


def alipay_string(params: dict, leave_out=("sign",)) -> bytes:
    """Alipay's documented string to sign, written independently of the adapter."""
    keys = sorted(k for k, v in params.items() if k not in leave_out and v != "")
    return "&".join(k + "=" + params[k] for k in keys).encode("utf-8")


def yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


class FakeAlipay(FakeProvider):
    route = "alipay"
    # Alipay gives no figure for the timestamp allowance; the stand-in allows 10 minutes either way.
    SKEW = timedelta(minutes=10)

    def __init__(self):
        self.merchant_private, self.merchant_public = key_pair("alipay-merchant")
        self.alipay_private, self.alipay_public = key_pair("alipay-platform")
        self.corrupt_answers = 0  # the next n answers carry a signature that does not verify
        super().__init__()

    def settings(self) -> dict:
        return {
            "url": self.url + "/gateway.do",
            "merchant_id": ALIPAY_APP_ID,
            "app_private_key": self.merchant_private,
            "alipay_public_key": self.alipay_public,
            "timeout": 3.0,
        }

    def check(self, params: dict) -> list[str]:
        problems = []
        expected = {"app_id": ALIPAY_APP_ID, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2"}
        for name, value in {**expected, "version": "1.0"}.items():
            if params.get(name) != value:
                problems.append(f"{name} is {params.get(name)!r}, not {value!r}")
        if request.args.get("charset") != "utf-8":
            problems.append("charset missing from the gateway URL")
        try:
            sent = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
            if abs(datetime.now(BEIJING) - sent) > self.SKEW:
                problems.append("timestamp too far from Beijing time")
        except ValueError:
            problems.append("timestamp not yyyy-MM-dd HH:mm:ss")
        if not rsa_verify(self.merchant_public, alipay_string(params), params.get("sign", "")):
            problems.append("signature does not verify")
        return problems

    def answer(self, method: str, node: dict) -> Response:
        raw = json.dumps(node, ensure_ascii=False, separators=(", ", ": "))  # Alipay's spacing varies
        signature = rsa_sign(self.alipay_private, raw.encode())
        if self.corrupt_answers:
            self.corrupt_answers -= 1
            signature = rsa_sign(self.merchant_private, raw.encode())
        name = method.replace(".", "_") + "_response"
        return Response(f'{{"{name}": {raw}, "sign": "{signature}"}}', mimetype="application/json")

    def routes(self) -> None:
        @self.app.post("/gateway.do")
        def gateway():
            switches = self.state.switches
            if switches.take("drop"):
                self.hang()
                return Response("", 504)
            params = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
            method = params.get("method", "")
            problems = self.check(params)
            with self.lock:
                self.requests.append({"method": method, "params": params, "problems": problems})
            if problems:
                return self.answer(
                    method,
                    {
                        "code": "40002",
                        "msg": "Invalid Arguments",
                        "sub_code": "isv.invalid-signature",
                        "sub_msg": "; ".join(problems),
                    },
                )
            biz = json.loads(params["biz_content"])
            if method == "alipay.trade.refund":
                if switches.take("error"):
                    return Response("", 502)
                answer = self.refund(biz, params.get("notify_url", ""))
                if switches.take("timeout"):
                    self.hang()
                return answer
            if method == "alipay.trade.fastpay.refund.query":
                answer = self.query(biz)
                if switches.take("query_timeout"):
                    self.hang()
                return answer
            return self.answer(
                method, {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"}
            )

    def refund(self, biz: dict, notify_url: str) -> Response:
        method = "alipay.trade.refund"
        try:
            if not re.fullmatch(r"\d+(\.\d{1,2})?", biz["refund_amount"]):
                raise InvalidOperation
            amount = Decimal(biz["refund_amount"]) * 100
        except (KeyError, InvalidOperation, ValueError):
            return self.answer(
                method, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-amount"}
            )
        result = self.book(
            biz.get("out_request_no", ""), biz.get("out_trade_no", ""), int(amount), notify_url
        )
        if isinstance(result, LedgerError):
            sub_code = {
                "TRADE_NOT_EXIST": "ACQ.TRADE_NOT_EXIST",
                "REFUND_EXCEEDS_PAID": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                "REQUEST_NO_CONFLICT": "ACQ.DISCORDANT_REPEAT_REQUEST",
            }.get(result.code, "ACQ.TRADE_STATUS_ERROR")
            return self.answer(
                method,
                {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": result.message},
            )
        # Like Alipay: a synchronous Success, and fund_change=Y even when the money never moves.
        return self.answer(
            method,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": result.gateway_ref,
                "out_trade_no": result.trade_no,
                "buyer_logon_id": "159****5620",
                "fund_change": "Y",
                "refund_fee": yuan(result.amount_fen),
            },
        )

    def query(self, biz: dict) -> Response:
        method = "alipay.trade.fastpay.refund.query"
        refund = self.state.ledger.get("alipay", biz.get("out_request_no", ""))
        if biz.get("out_trade_no") not in self.paid:
            return self.answer(
                method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
            )
        node = {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": biz["out_trade_no"],
            "out_request_no": biz.get("out_request_no", ""),
        }
        if (
            refund is not None
            and refund.trade_no == biz["out_trade_no"]
            and refund.status != RefundStatus.FAILED
        ):
            # Processing: Alipay names the refund but gives no refund_status; failed looks like not received.
            node.update(
                trade_no=refund.gateway_ref,
                total_amount=yuan(self.paid[refund.trade_no]),
                refund_amount=yuan(refund.amount_fen),
            )
            if refund.status is RefundStatus.SUCCESS:
                node["refund_status"] = "REFUND_SUCCESS"
        return self.answer(method, node)

    def notification(self, refund, **changes) -> dict:
        """Alipay's trade_status_sync notice for a settled refund (refund_fee: the trade's refunded total)."""
        params = {
            "notify_time": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": ALIPAY_APP_ID,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": refund.gateway_ref,
            "out_trade_no": refund.trade_no,
            "out_biz_no": refund.request_no,
            "trade_status": "TRADE_SUCCESS",
            "refund_fee": yuan(self.state.ledger.refunded_total("alipay", refund.trade_no)),
            "gmt_refund": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S.000"),
            **changes,
        }
        key = self.alipay_private if not self.state.switches.take("bad_signature") else self.merchant_private
        params["sign"] = rsa_sign(key, alipay_string(params, ("sign", "sign_type")))
        return {
            "route": "alipay",
            "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            "body": urlencode(params),
        }


# WeChat Pay v3 -------------------------------------------------------------------------------------


class FakeWechatPay(FakeProvider):
    route = "wechat"
    SKEW = 300  # WeChat Pay: a request more than 5 minutes off is refused

    def __init__(self):
        self.merchant_private, self.merchant_public = key_pair("wechat-merchant")
        self.platform_private, self.platform_public = key_pair("wechat-platform")
        self.nonces: set[str] = set()
        self.corrupt_answers = 0
        super().__init__()

    def settings(self) -> dict:
        return {
            "url": self.url,
            "merchant_id": WECHAT_MCHID,
            "merchant_serial_no": MERCHANT_SERIAL,
            "merchant_private_key": self.merchant_private,
            "platform_public_key": self.platform_public,
            "platform_serial": PLATFORM_SERIAL,
            "apiv3_key": APIV3_KEY,
            "timeout": 3.0,
        }

    def check(self) -> list[str]:
        problems = []
        header = request.headers.get("Authorization", "")
        schema, _, rest = header.partition(" ")
        if schema != "WECHATPAY2-SHA256-RSA2048":
            return ["Authorization schema is not WECHATPAY2-SHA256-RSA2048"]
        fields = {}
        for part in rest.split(","):
            name, _, value = part.partition("=")
            fields[name.strip()] = value.strip().strip('"')
        if fields.get("mchid") != WECHAT_MCHID:
            problems.append("mchid does not match")
        if fields.get("serial_no") != MERCHANT_SERIAL:
            problems.append("serial_no is not the merchant certificate's")
        timestamp, nonce = fields.get("timestamp", ""), fields.get("nonce_str", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.SKEW:
            problems.append("timestamp missing or more than 5 minutes off")
        with self.lock:
            if not nonce or nonce in self.nonces:
                problems.append("nonce_str missing or used before (a replay)")
            self.nonces.add(nonce)
        url = request.full_path.rstrip("?") if request.query_string else request.path
        message = f"{request.method}\n{url}\n{timestamp}\n{nonce}\n{request.get_data(as_text=True)}\n"
        if not rsa_verify(self.merchant_public, message.encode(), fields.get("signature", "")):
            problems.append("signature does not verify")
        if "json" not in request.headers.get("Accept", ""):
            problems.append("Accept is not application/json")
        if not request.headers.get("User-Agent"):
            problems.append("User-Agent missing")
        return problems

    def signed(self, data: dict | bytes, status: int = 200, **header_changes) -> Response:
        body = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
        headers = self.signature_headers(body, self.corrupt_answers > 0)
        self.corrupt_answers = max(0, self.corrupt_answers - 1)
        headers.update(header_changes)
        return Response(body, status, headers=headers, mimetype="application/json")

    def signature_headers(self, body: bytes, wrong_key: bool = False, at: float | None = None) -> dict:
        timestamp, nonce = str(int(at if at is not None else time.time())), secrets.token_hex(16)
        key = self.merchant_private if wrong_key else self.platform_private
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": PLATFORM_SERIAL,
            "Wechatpay-Signature": rsa_sign(key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n"),
            "Request-ID": secrets.token_hex(8),
        }

    def routes(self) -> None:
        @self.app.before_request
        def verify():
            if self.state.switches.take("drop"):
                self.hang()
                return Response("", 504)
            problems = self.check()
            with self.lock:
                self.requests.append(
                    {
                        "method": request.method,
                        "path": request.path,
                        "problems": problems,
                        "body": request.get_data(as_text=True),
                    }
                )
            if problems:
                return self.signed({"code": "SIGN_ERROR", "message": "; ".join(problems)}, 401)
            return None

        @self.app.post("/v3/refund/domestic/refunds")
        def refund():
            switches = self.state.switches
            if switches.take("error"):
                return self.signed({"code": "SYSTEM_ERROR", "message": "stand-in error"}, 500)
            body = request.get_json(silent=True) or {}
            amount = body.get("amount") or {}
            trade_no = body.get("out_trade_no", "")
            if amount.get("currency") != "CNY" or not isinstance(amount.get("refund"), int):
                return self.signed({"code": "PARAM_ERROR", "message": "amount"}, 400)
            if trade_no in self.paid and amount.get("total") != self.paid[trade_no]:
                return self.signed(
                    {"code": "PARAM_ERROR", "message": "订单金额或退款金额与之前请求不一致"}, 400
                )
            result = self.book(
                body.get("out_refund_no", ""), trade_no, amount["refund"], body.get("notify_url", "")
            )
            if isinstance(result, LedgerError):
                code, status = {
                    "TRADE_NOT_EXIST": ("RESOURCE_NOT_EXISTS", 404),
                    "REFUND_EXCEEDS_PAID": ("NOT_ENOUGH", 403),
                    "SYSTEM_REFUSED": ("USER_ACCOUNT_ABNORMAL", 403),
                }.get(result.code, ("INVALID_REQUEST", 400))
                return self.signed({"code": code, "message": result.message}, status)
            answer = self.signed(self.view(result, lie=result.never_settle))
            if switches.take("timeout"):
                self.hang()
            return answer

        @self.app.get("/v3/refund/domestic/refunds/<out_refund_no>")
        def query(out_refund_no: str):
            refund = self.state.ledger.get("wechat", out_refund_no)
            answer = (
                self.signed({"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}, 404)
                if refund is None
                else self.signed(self.view(refund))
            )
            if self.state.switches.take("query_timeout"):
                self.hang()
            return answer

    def view(self, refund, lie: bool = False) -> dict:
        status = {"success": "SUCCESS", "processing": "PROCESSING", "failed": "ABNORMAL"}[refund.status]
        return {
            "refund_id": refund.gateway_ref,
            "out_refund_no": refund.request_no,
            "transaction_id": "4200000000" + refund.trade_no[-10:],
            "out_trade_no": refund.trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "招商银行信用卡0403",
            "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "status": "SUCCESS" if lie else status,
            "amount": {
                "total": self.paid.get(refund.trade_no, 0),
                "refund": refund.amount_fen,
                "payer_total": self.paid.get(refund.trade_no, 0),
                "payer_refund": refund.amount_fen,
                "currency": "CNY",
            },
        }

    def notification(
        self, refund, resource_changes: dict | None = None, at: float | None = None, key: str = APIV3_KEY
    ) -> dict:
        """The signed notice with its resource encrypted under the APIv3 key, as WeChat Pay sends it."""
        status = {"success": "SUCCESS", "failed": "ABNORMAL"}.get(refund.status, "PROCESSING")
        resource = {
            "mchid": WECHAT_MCHID,
            "out_trade_no": refund.trade_no,
            "transaction_id": "4200000000",
            "out_refund_no": refund.request_no,
            "refund_id": refund.gateway_ref,
            "refund_status": status,
            "success_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "user_received_account": "招商银行信用卡0403",
            "amount": {
                "total": self.paid.get(refund.trade_no, 0),
                "refund": refund.amount_fen,
                "payer_total": self.paid.get(refund.trade_no, 0),
                "payer_refund": refund.amount_fen,
            },
            **(resource_changes or {}),
        }
        nonce, associated = secrets.token_hex(6), "refund"
        ciphertext = AESGCM(key.encode()).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated.encode()
        )
        envelope = {
            "id": secrets.token_hex(18),
            "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": f"REFUND.{status}",
            "summary": "退款成功" if status == "SUCCESS" else "退款异常",
            "resource": {
                "original_type": "refund",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated,
                "nonce": nonce,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        headers = self.signature_headers(body, self.state.switches.take("bad_signature"), at)
        return {
            "route": "wechat",
            "headers": {"Content-Type": "application/json", **headers},
            "body": body.decode(),
        }
