"""支付宝 open platform refunds: alipay.trade.refund, alipay.trade.fastpay.refund.query, the async notice.

Wire format (public-key mode, as Alipay documents it):
- A request is a form POST to the gateway (`.../gateway.do?charset=utf-8`) carrying the common
  parameters (app_id, method, format=JSON, charset=utf-8, sign_type=RSA2, timestamp in Beijing time
  "yyyy-MM-dd HH:mm:ss", version=1.0, notify_url) and `biz_content` (the business fields as JSON).
- Signing: every parameter except `sign` and empty ones, sorted by name, written `name=value` joined
  with "&" (values raw, not URL-encoded), SHA256withRSA with the app private key, base64 → `sign`.
- A response is `{"<method with _ for .>_response": {...}, "sign": "..."}`; the signature covers the
  response node exactly as it stands in the text, and is checked with Alipay's public key.
- The asynchronous notice (a form POST) is verified over every parameter except `sign` and
  `sign_type`, sorted, `name=value` joined with "&", values URL-decoded.

What the answers mean (Alipay's documentation, "accepted is not success"):
- alipay.trade.refund code 10000 means the request was taken. Its `fund_change=Y` is NOT taken as
  proof: only the query's `refund_status=REFUND_SUCCESS` is.
- The query's code 10000 only says the query worked; `refund_status` REFUND_SUCCESS is success, and
  no `refund_status` means "not received or failed" (Alipay: retry with the same out_request_no).
  Alipay also warns that a query soon after the refund may not show a success yet: when the answer
  names the refund (a refund_amount) without a status we read it as still processing (a platform
  choice, so that staff are never told to pay by hand what Alipay may still pay).
- The refund notice (trade_status_sync, `out_biz_no` = our request number) carries the trade's refunded
  TOTAL in `refund_fee`, not this request's amount, so it only triggers a query (confirm_by_query).
- Amounts are yuan strings with two decimals, converted exactly from fen (Decimal, never float).
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from portal.orders.kinds import PaymentRoute
from portal.payouts.gateways import (
    GatewayMisconfigured,
    GatewaySettings,
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
    fen_to_yuan,
    yuan_to_fen,
)
from portal.payouts.providers import keys

BEIJING = timezone(timedelta(hours=8))
REFUND = "alipay.trade.refund"
QUERY = "alipay.trade.fastpay.refund.query"
# Business codes that mean "no usable answer": send the same request again later.
UNKNOWN_SUB_CODES = {"ACQ.SYSTEM_ERROR", "isp.unknow-error", "aop.ACQ.SYSTEM_ERROR"}
# What an operator should look at when the probe meets these codes.
HINTS = {
    "isv.invalid-signature": "Alipay could not verify our signature: app_private_key does not match the "
    "public key uploaded for this app",
    "isv.invalid-app-id": "merchant_id is not an Alipay app_id",
    "isv.insufficient-isv-permissions": "the app has not signed up for the refund APIs",
    "BAD_RESPONSE_SIGNATURE": "the answer's signature does not verify: alipay_public_key is not Alipay's "
    "public key for this app (or the answer did not come from Alipay)",
    "NO_ANSWER": "no usable answer from the gateway url (network, timeout or not Alipay)",
}


def canonical(params: Mapping[str, str], leave_out: tuple[str, ...] = ("sign",)) -> bytes:
    """The string Alipay signs: non-empty parameters but `leave_out`, sorted, name=value joined with &."""
    pairs = sorted((k, str(v)) for k, v in params.items() if k not in leave_out and v not in (None, ""))
    return "&".join(f"{k}={v}" for k, v in pairs).encode()


def response_node(text: str, method: str) -> tuple[dict, str] | None:
    """(the response node, its exact text) for signature checking, or None if it is not there."""
    decoder = json.JSONDecoder()
    for name in (method.replace(".", "_") + "_response", "error_response"):
        marker = f'"{name}"'
        at = text.find(marker)
        if at < 0:
            continue
        start = text.find("{", at + len(marker))
        try:
            node, end = decoder.raw_decode(text, start)
        except ValueError:
            return None
        return (node, text[start:end]) if isinstance(node, dict) else None
    return None


class AlipayOpenApi(RefundGateway):
    """Alipay open platform, public-key mode (merchant_id = app_id)."""

    route = PaymentRoute.ALIPAY
    sandbox_protocol = False
    default_url = "https://openapi.alipay.com/gateway.do"

    def __init__(self, settings: GatewaySettings, transport: Transport | None = None):
        super().__init__(settings, transport)
        where = "PAYMENT_GATEWAY_ROUTES[alipay]"
        if not settings.merchant_id:
            raise GatewayMisconfigured(f"{where}.merchant_id (the Alipay app_id) is not set")
        self.private_key = keys.private_key(
            keys.credential(settings.extra, "app_private_key", where), f"{where}.app_private_key"
        )
        self.alipay_key = keys.public_key(
            keys.credential(settings.extra, "alipay_public_key", where), f"{where}.alipay_public_key"
        )

    # Requests --------------------------------------------------------------------------------------

    def signed_params(
        self, method: str, biz: dict, notify_url: str = "", now: datetime | None = None
    ) -> dict:
        """The form a request posts: common parameters, biz_content and the RSA2 `sign`."""
        moment = (now or datetime.now(UTC)).astimezone(BEIJING)
        params = {
            "app_id": self.settings.merchant_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "notify_url": notify_url,
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        params = {k: v for k, v in params.items() if v}
        params["sign"] = keys.sign(self.private_key, canonical(params))
        return params

    def _call(self, method: str, biz: dict, notify_url: str = "") -> dict | None:
        """The verified response node, or None when there was no usable, correctly signed answer."""
        body = urlencode(self.signed_params(method, biz, notify_url)).encode()
        url = self.settings.url + ("&" if "?" in self.settings.url else "?") + "charset=utf-8"
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        try:
            reply = self.transport("POST", url, body, headers, self.settings.timeout)
        except TransportError:
            return None
        if reply.status != 200:
            return None
        try:
            text = reply.body.decode("utf-8")
            signature = json.loads(text).get("sign", "")
        except (UnicodeDecodeError, ValueError, AttributeError):
            return None
        found = response_node(text, method)
        if found is None:
            return None
        node, raw = found
        if not keys.verify(self.alipay_key, raw.encode(), signature):
            return {"code": "BAD_RESPONSE_SIGNATURE", "sub_code": "BAD_RESPONSE_SIGNATURE", "_unsigned": True}
        return node

    def submit(self, refund: RefundOrder) -> SubmitOutcome:
        node = self._call(
            REFUND,
            {
                "out_trade_no": refund.trade_no,
                "out_request_no": refund.request_no,
                "refund_amount": fen_to_yuan(refund.amount_fen),
            },
            refund.notify_url,
        )
        if node is None:
            return SubmitOutcome(SubmitKind.UNKNOWN, "NO_ANSWER", "no usable answer")
        code, sub_code, sub_msg = (
            str(node.get("code", "")),
            str(node.get("sub_code", "")),
            node.get("sub_msg"),
        )
        if node.get("_unsigned") or code == "20000" or sub_code in UNKNOWN_SUB_CODES:
            return SubmitOutcome(SubmitKind.UNKNOWN, sub_code or code, str(sub_msg or ""))
        if code == "10000" and node.get("out_trade_no", refund.trade_no) == refund.trade_no:
            # Taken. fund_change=Y is not proof that money moved: the query (or its notice) decides.
            return SubmitOutcome(SubmitKind.ACCEPTED, gateway_ref=str(node.get("trade_no", "")))
        return SubmitOutcome(
            SubmitKind.REJECTED, sub_code or code or "UNREADABLE", str(sub_msg or node.get("msg", ""))
        )

    def query(self, refund: RefundOrder) -> QueryOutcome:
        node = self._call(
            QUERY,
            {"out_trade_no": refund.trade_no, "out_request_no": refund.request_no},
        )
        if node is None:
            return QueryOutcome(QueryStatus.UNKNOWN, code="NO_ANSWER")
        code, sub_code = str(node.get("code", "")), str(node.get("sub_code", ""))
        if code != "10000":
            if sub_code == "ACQ.TRADE_NOT_EXIST":
                return QueryOutcome(QueryStatus.NOT_FOUND, code=sub_code)
            return QueryOutcome(QueryStatus.UNKNOWN, code=sub_code or code or "UNREADABLE")
        if node.get("out_request_no", refund.request_no) != refund.request_no:
            return QueryOutcome(QueryStatus.UNKNOWN, code="OTHER_REQUEST")
        refund_status = node.get("refund_status") or ""
        if not refund_status and not node.get("refund_amount"):
            # Alipay: no refund_status means the request was not received, or the refund failed.
            return QueryOutcome(QueryStatus.NOT_FOUND, code="NO_REFUND_STATUS")
        if not refund_status:
            # It knows the request (an amount) but does not say success: a refund to a bank card may
            # still be on its way (Alipay warns of this), so neither success nor "pay it by hand".
            return QueryOutcome(QueryStatus.PROCESSING, code="NO_REFUND_STATUS")
        status = {
            "REFUND_SUCCESS": QueryStatus.SUCCEEDED,
            "REFUND_PROCESSING": QueryStatus.PROCESSING,
            "REFUND_FAIL": QueryStatus.FAILED,
        }.get(refund_status, QueryStatus.UNKNOWN)
        try:
            amount = yuan_to_fen(str(node["refund_amount"])) if node.get("refund_amount") else None
        except (ValueError, ArithmeticError):
            return QueryOutcome(QueryStatus.UNKNOWN, code="BAD_AMOUNT")
        if status is QueryStatus.SUCCEEDED and amount is None:
            return QueryOutcome(QueryStatus.UNKNOWN, code="NO_AMOUNT")
        return QueryOutcome(status, amount, str(node.get("trade_no", "")), code=refund_status)

    # Notifications ---------------------------------------------------------------------------------

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Verify Alipay's notice; it names the refund (out_biz_no) and the service asks the query API."""
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidNotification("unreadable notification") from exc
        if params.get("sign_type", "RSA2") != "RSA2":
            raise InvalidNotification("not an RSA2 notification")
        if not keys.verify(self.alipay_key, canonical(params, ("sign", "sign_type")), params.get("sign", "")):
            raise InvalidNotification("bad signature")
        if params.get("app_id") != self.settings.merchant_id:
            raise InvalidNotification("notification for another app")
        if not params.get("out_biz_no") or not params.get("notify_id"):
            raise InvalidNotification("not a refund notification")
        try:
            refunded_total = yuan_to_fen(params.get("refund_fee") or "0")
        except (ValueError, ArithmeticError) as exc:
            raise InvalidNotification("unreadable amount") from exc
        return Notification(
            notify_id=params["notify_id"],
            request_no=params["out_biz_no"],
            trade_no=params.get("out_trade_no", ""),
            amount_fen=refunded_total,
            succeeded=False,
            gateway_ref=params.get("trade_no", ""),
            confirm_by_query=True,
        )

    def probe(self) -> Probe:
        found = super().probe()
        hint = HINTS.get(found.code)
        lines = (
            *found.lines,
            f"signed {QUERY} with app_id {self.settings.merchant_id} at {self.settings.url}",
        )
        if found.ok:
            lines = (*lines, "Alipay accepted our signature and its answer verified with alipay_public_key")
        return Probe(found.ok, (*lines, hint) if hint else lines, found.code)
