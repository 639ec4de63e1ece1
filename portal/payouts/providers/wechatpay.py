"""微信支付 API v3 domestic refunds: POST /v3/refund/domestic/refunds, GET …/refunds/{out_refund_no}, notices.

Wire format (as WeChat Pay documents it):
- Every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
  signature="…",timestamp="…",serial_no="…"`: SHA256withRSA with the merchant's API private key over
  "METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n" (URL = path and query; BODY empty for a GET), base64.
- Every answer (and every notice) is signed by WeChat Pay over "TIMESTAMP\\nNONCE\\nBODY\\n" in the
  Wechatpay-Timestamp / -Nonce / -Signature / -Serial headers; we check it with the platform public key
  (or certificate) whose serial we were given, and refuse a timestamp more than 5 minutes away.
- A notice's `resource` is encrypted with AEAD_AES_256_GCM under the APIv3 key (nonce and
  associated_data given beside the ciphertext, the 16-byte tag at its end).
- Amounts are integer fen. `SUCCESS` is success only from the query or a notice: a submit answered
  SUCCESS or PROCESSING is "accepted". CLOSED and ABNORMAL are failures (staff act on ABNORMAL).
"""

import base64
import binascii
import json
import secrets
import time
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.orders.kinds import PaymentRoute
from portal.payouts.gateways import (
    GatewayMisconfigured,
    GatewaySettings,
    HttpReply,
    InvalidNotification,
    Notification,
    Probe,
    QueryOutcome,
    QueryStatus,
    RefundGateway,
    RefundOrder,
    SubmitKind,
    SubmitOutcome,
    Transport,
    TransportError,
)
from portal.payouts.providers import keys

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
REFUNDS = "/v3/refund/domestic/refunds"
# WeChat Pay refuses (and we refuse) a signed message whose timestamp is further off than this.
MAX_SKEW_SECONDS = 300
# Error codes that mean "try the same request again later" (WeChat Pay's documented retryable ones).
RETRYABLE = {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "SYSTEMERROR"}
STATUS = {
    "SUCCESS": QueryStatus.SUCCEEDED,
    "PROCESSING": QueryStatus.PROCESSING,
    "CLOSED": QueryStatus.FAILED,
    "ABNORMAL": QueryStatus.FAILED,
}
HINTS = {
    "SIGN_ERROR": "WeChat Pay could not verify our signature: merchant_private_key or merchant_serial_no "
    "is wrong",
    "BAD_RESPONSE_SIGNATURE": "the answer's signature does not verify: platform_public_key or "
    "platform_serial is wrong (or the answer did not come from WeChat Pay)",
    "NO_AUTH": "the merchant has no refund permission",
    "NO_ANSWER": "no usable answer from the gateway url (network, timeout or not WeChat Pay)",
}


def request_message(method: str, url_path: str, timestamp: str, nonce: str, body: str) -> bytes:
    """What a request's signature covers."""
    return f"{method}\n{url_path}\n{timestamp}\n{nonce}\n{body}\n".encode()


def answer_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What WeChat Pay's signature on an answer or notice covers."""
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


class WechatPayV3(RefundGateway):
    """WeChat Pay API v3 for a direct merchant (merchant_id = mchid)."""

    route = PaymentRoute.WECHAT
    sandbox_protocol = False
    default_url = "https://api.mch.weixin.qq.com"

    def __init__(self, settings: GatewaySettings, transport: Transport | None = None):
        super().__init__(settings, transport)
        where = "PAYMENT_GATEWAY_ROUTES[wechat]"
        extra = settings.extra
        if not settings.merchant_id:
            raise GatewayMisconfigured(f"{where}.merchant_id (the mchid) is not set")
        for name in ("merchant_serial_no", "platform_serial"):
            if not extra.get(name):
                raise GatewayMisconfigured(f"{where}.{name} is not set")
        self.serial_no = str(extra["merchant_serial_no"])
        self.platform_serial = str(extra["platform_serial"])
        self.private_key = keys.private_key(
            keys.credential(extra, "merchant_private_key", where), f"{where}.merchant_private_key"
        )
        self.platform_key = keys.public_key(
            keys.credential(extra, "platform_public_key", where), f"{where}.platform_public_key"
        )
        apiv3_key = keys.credential(extra, "apiv3_key", where).encode()
        if len(apiv3_key) != 32:
            raise GatewayMisconfigured(f"{where}.apiv3_key must be the 32-character APIv3 key")
        self.aead = AESGCM(apiv3_key)

    # Signing and verifying -------------------------------------------------------------------------

    def authorization(self, method: str, url_path: str, body: str, now: float | None = None) -> str:
        """The Authorization header of one request (fresh timestamp and nonce each time)."""
        timestamp = str(int(now if now is not None else time.time()))
        nonce = secrets.token_hex(16).upper()
        signature = keys.sign(self.private_key, request_message(method, url_path, timestamp, nonce, body))
        return (
            f'{SCHEMA} mchid="{self.settings.merchant_id}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.serial_no}"'
        )

    def verified(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> bool:
        """Whether WeChat Pay signed this answer or notice, recently, with the key we were given."""
        get = {k.lower(): v for k, v in headers.items()}.get
        timestamp, nonce = get("wechatpay-timestamp", ""), get("wechatpay-nonce", "")
        signature, serial = get("wechatpay-signature", ""), get("wechatpay-serial", "")
        if not timestamp.isdigit() or not nonce or serial != self.platform_serial:
            return False
        if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
            return False
        return keys.verify(self.platform_key, answer_message(timestamp, nonce, body), signature)

    def _call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict] | None:
        """(HTTP status, JSON body) of a correctly signed answer; None when there was no usable one."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
        headers = {
            "Authorization": self.authorization(method, path, body),
            "Accept": "application/json",
            "User-Agent": "refund-center",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            reply: HttpReply = self.transport(
                method,
                self.settings.url.rstrip("/") + path,
                body.encode() if payload is not None else None,
                headers,
                self.settings.timeout,
            )
        except TransportError:
            return None
        if reply.status >= 500:
            return None
        if not self.verified(reply.headers, reply.body):
            return reply.status, {"code": "BAD_RESPONSE_SIGNATURE", "_unsigned": True}
        try:
            data = json.loads(reply.body or b"{}")
        except ValueError:
            return None
        return reply.status, data if isinstance(data, dict) else {}

    # The refund API ------------------------------------------------------------------------------

    def submit(self, refund: RefundOrder) -> SubmitOutcome:
        payload = {
            "out_trade_no": refund.trade_no,
            "out_refund_no": refund.request_no,
            "amount": {"refund": refund.amount_fen, "total": refund.total_fen, "currency": "CNY"},
        }
        if refund.notify_url:
            payload["notify_url"] = refund.notify_url
        reply = self._call("POST", REFUNDS, payload)
        if reply is None:
            return SubmitOutcome(SubmitKind.UNKNOWN, "NO_ANSWER", "no usable answer")
        status_code, data = reply
        code, message = str(data.get("code", "")), str(data.get("message", ""))
        if data.get("_unsigned") or code in RETRYABLE or status_code == 429:
            return SubmitOutcome(SubmitKind.UNKNOWN, code or f"HTTP_{status_code}", message)
        if (
            status_code == 200
            and data.get("status") in STATUS
            and data.get("out_refund_no") == refund.request_no
        ):
            # Even a synchronous SUCCESS is believed only from the query or a notice.
            return SubmitOutcome(SubmitKind.ACCEPTED, gateway_ref=str(data.get("refund_id", "")))
        return SubmitOutcome(SubmitKind.REJECTED, code or f"HTTP_{status_code}", message)

    def query(self, refund: RefundOrder) -> QueryOutcome:
        reply = self._call("GET", f"{REFUNDS}/{quote(refund.request_no, safe='')}")
        if reply is None:
            return QueryOutcome(QueryStatus.UNKNOWN, code="NO_ANSWER")
        status_code, data = reply
        code = str(data.get("code", ""))
        if data.get("_unsigned"):
            return QueryOutcome(QueryStatus.UNKNOWN, code=code)
        if status_code == 404 and code in ("RESOURCE_NOT_EXISTS", "ORDER_NOT_EXIST", "NOT_FOUND"):
            return QueryOutcome(QueryStatus.NOT_FOUND, code=code)
        if status_code != 200:
            return QueryOutcome(QueryStatus.UNKNOWN, code=code or f"HTTP_{status_code}")
        if data.get("out_refund_no") != refund.request_no:
            return QueryOutcome(QueryStatus.UNKNOWN, code="OTHER_REQUEST")
        status = STATUS.get(str(data.get("status")), QueryStatus.UNKNOWN)
        amount = (data.get("amount") or {}).get("refund")
        if not isinstance(amount, int) or isinstance(amount, bool):
            return QueryOutcome(QueryStatus.UNKNOWN, code="BAD_AMOUNT")
        return QueryOutcome(status, amount, str(data.get("refund_id", "")), code=str(data.get("status")))

    # Notifications -------------------------------------------------------------------------------

    def decrypt(self, resource: Mapping) -> dict:
        """The notice's resource, decrypted with the APIv3 key and parsed."""
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise InvalidNotification("unknown resource algorithm")
        try:
            plain = self.aead.decrypt(
                str(resource["nonce"]).encode(),
                base64.b64decode(str(resource["ciphertext"]), validate=True),
                str(resource.get("associated_data") or "").encode(),
            )
            data = json.loads(plain)
        except (KeyError, InvalidTag, binascii.Error, ValueError) as exc:
            raise InvalidNotification("resource does not decrypt") from exc
        if not isinstance(data, dict):
            raise InvalidNotification("unreadable resource")
        return data

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        if not self.verified(headers, body):
            raise InvalidNotification("bad signature or stale timestamp")
        try:
            envelope = json.loads(body)
            resource = self.decrypt(envelope["resource"])
            amount = resource["amount"]["refund"]
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise ValueError("amount")
            if resource.get("mchid") != self.settings.merchant_id:
                raise InvalidNotification("notification for another merchant")
            return Notification(
                notify_id=str(envelope["id"]),
                request_no=str(resource["out_refund_no"]),
                trade_no=str(resource.get("out_trade_no", "")),
                amount_fen=amount,
                succeeded=resource["refund_status"] == "SUCCESS",
                gateway_ref=str(resource.get("refund_id", "")),
                reason=str(resource["refund_status"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidNotification("unreadable notification") from exc

    def notification_reply(self, accepted: bool) -> tuple[int, str, str]:
        """WeChat Pay: 204 without a body when received; 4xx with {"code": "FAIL"} to have it sent again."""
        if accepted:
            return 204, "", "application/json"
        return 400, json.dumps({"code": "FAIL", "message": "rejected"}), "application/json"

    def probe(self) -> Probe:
        found = super().probe()
        host = urlsplit(self.settings.url).hostname
        lines = (*found.lines, f"signed GET {REFUNDS}/… as mchid {self.settings.merchant_id} at {host}")
        if found.ok:
            lines = (
                *lines,
                "WeChat Pay accepted our signature and its answer verified with platform_public_key",
            )
        hint = HINTS.get(found.code)
        return Probe(found.ok, (*lines, hint) if hint else lines, found.code)
