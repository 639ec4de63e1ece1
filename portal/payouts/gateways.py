"""Refund gateways: one interface, one adapter per original payment route (Alipay, WeChat Pay, bank card).

The rules every adapter follows (and the services rely on):
- `submit` never reports success. "Accepted" (even a synchronous "Success" or Alipay's
  fund_change=Y) only means the provider took the request; success is believed only from
  `query` or a verified notification (`parse_notification`).
- A timeout, a network error, a 5xx or an unreadable answer is UNKNOWN: the request may or may
  not have arrived, so the caller sends it again later with the SAME request number.
- `parse_notification` checks the signature first and raises InvalidNotification if it is wrong.

Adapters
--------
The adapters below (`AlipayGateway`, `WechatPayGateway`, `BankCardGateway`) speak the SANDBOX
protocol (`python -m devtools.sandbox`), the development default: each mirrors its provider's fields
and statuses but signs with one HMAC key. The real ones live in `portal.payouts.providers`
(`alipay-openapi`, `wechatpay-v3`), and `manual` sends a route without an API to staff. A route
is pointed at one with PAYMENT_GATEWAY_ADAPTERS (a short name or "package.module:Class") and
configured with PAYMENT_GATEWAY_ROUTES; see docs/providers.md. The app refuses to start when an
adapter cannot be built (import, keys) or, in production, when a route still uses a sandbox.
"""

import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from importlib import import_module
from urllib.parse import urlsplit

from portal.orders.kinds import PaymentRoute
from portal.payouts import signing


class SubmitKind(StrEnum):
    ACCEPTED = "accepted"  # taken; money has NOT necessarily moved
    REJECTED = "rejected"  # refused for sure; nothing will happen under this attempt
    UNKNOWN = "unknown"  # no usable answer (timeout, network, 5xx): try again with the same number
    MANUAL = "manual"  # this route has no API (e.g. no bank API configured): staff transfer by hand


class QueryStatus(StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    FAILED = "failed"
    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RefundOrder:
    """What a gateway needs to refund: the same request number on every try."""

    request_no: str
    trade_no: str  # our order number (out_trade_no)
    amount_fen: int
    total_fen: int  # what the order was paid
    notify_url: str
    payer_account: str = ""


@dataclass(frozen=True)
class SubmitOutcome:
    kind: SubmitKind
    code: str = ""
    message: str = ""
    gateway_ref: str = ""


@dataclass(frozen=True)
class QueryOutcome:
    status: QueryStatus
    amount_fen: int | None = None
    gateway_ref: str = ""
    code: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified result notification, in our terms."""

    notify_id: str
    request_no: str
    trade_no: str
    amount_fen: int
    succeeded: bool
    gateway_ref: str = ""
    reason: str = ""
    # The notification names the refund but does not prove its amount (Alipay's trade_status_sync
    # carries the trade's refunded total): the service asks the query API instead of believing it.
    confirm_by_query: bool = False


class InvalidNotification(ValueError):
    """Bad signature, stale timestamp or unreadable body: answer "fail", change nothing."""


@dataclass(frozen=True)
class GatewaySettings:
    url: str
    merchant_id: str
    secret: str
    timeout: float = 5.0
    extra: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case


class TransportError(Exception):
    """No answer: connection refused, reset or timed out."""


Transport = Callable[[str, str, bytes | None, Mapping[str, str], float], HttpReply]


def urllib_transport(
    method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
) -> HttpReply:
    """Plain HTTP(S) with the standard library; raises TransportError when there is no answer."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpReply(response.status, response.read(), _lower(response.headers))
    except urllib.error.HTTPError as exc:
        return HttpReply(exc.code, exc.read(), _lower(exc.headers))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TransportError(str(exc)) from exc


@dataclass(frozen=True)
class Probe:
    """What `flask payouts check-provider` found: ok, and one line per finding (no secrets in them)."""

    ok: bool
    lines: tuple[str, ...]
    code: str = ""  # the provider's (or our) code for what the query met


def _lower(headers) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


class RefundGateway(ABC):
    """One provider's refund API."""

    route: PaymentRoute
    # Speaks the sandbox protocol, signed with the shared PAYMENT_GATEWAY_SECRET (development only).
    sandbox_protocol = True
    # The provider's production endpoint, used when the route's settings give no url.
    default_url = ""

    def __init__(self, settings: GatewaySettings, transport: Transport | None = None):
        self.settings = settings
        self.transport = transport or urllib_transport

    @abstractmethod
    def submit(self, refund: RefundOrder) -> SubmitOutcome:
        """Ask for the refund; never reports success (see the module docstring)."""

    @abstractmethod
    def query(self, refund: RefundOrder) -> QueryOutcome:
        """Ask what became of the refund with this request number."""

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Verify and read a result notification (sandbox protocol: HMAC-signed JSON)."""
        if not signing.verify(self.settings.secret, headers, body):
            raise InvalidNotification("bad signature")
        try:
            data = json.loads(body)
            return Notification(
                notify_id=str(data["notify_id"]),
                request_no=str(data["request_no"]),
                trade_no=str(data.get("trade_no", "")),
                amount_fen=_int(data["amount_fen"]),
                succeeded=data["status"] == "SUCCESS",
                gateway_ref=str(data.get("gateway_ref", "")),
                reason=str(data.get("reason", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidNotification("unreadable notification") from exc

    def notification_reply(self, accepted: bool) -> tuple[int, str, str]:
        """(HTTP status, body, mimetype) answering a notification: "success" stops the provider's retries."""
        return (200, "success", "text/plain") if accepted else (400, "fail", "text/plain")

    def probe(self) -> Probe:
        """Sign a harmless query (a request number that cannot exist) and say what the endpoint answered."""
        outcome = self.query(
            RefundOrder(
                request_no=PROBE_REQUEST_NO,
                trade_no=PROBE_REQUEST_NO,
                amount_fen=1,
                total_fen=1,
                notify_url="",
            )
        )
        ok = outcome.status is QueryStatus.NOT_FOUND
        detail = f"query answered {outcome.status}" + (f" ({outcome.code})" if outcome.code else "")
        return Probe(ok, (detail,), outcome.code)

    # The sandbox protocol: signed JSON both ways.
    def _call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict] | None:
        """(HTTP status, JSON body), or None when there was no usable answer."""
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else b""
        headers = {"Content-Type": "application/json", "X-Merchant-Id": self.settings.merchant_id}
        headers.update(signing.signed_headers(self.settings.secret, body))
        url = self.settings.url.rstrip("/") + path
        try:
            reply = self.transport(
                method, url, body if payload is not None else None, headers, self.settings.timeout
            )
        except TransportError:
            return None
        try:
            data = json.loads(reply.body or b"{}")
        except ValueError:
            return None
        return reply.status, data if isinstance(data, dict) else {}


# The request number a probe asks about: well-formed, and never one of ours (ours start with RP).
PROBE_REQUEST_NO = "CHECK0000000000000000"


def _int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amount must be an integer number of fen")
    return value


def fen_to_yuan(fen: int) -> str:
    """Alipay amounts are yuan strings with two decimals: 1230 → "12.30"."""
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """ "12.30" → 1230; raises ValueError for anything finer than a fen."""
    value = Decimal(text) * 100
    if value != value.to_integral_value():
        raise ValueError("finer than a fen")
    return int(value)


def _unknown_or_rejected(reply: tuple[int, dict] | None, code: str, message: str) -> SubmitOutcome:
    if reply is None or reply[0] >= 500:
        return SubmitOutcome(SubmitKind.UNKNOWN, code or "NO_ANSWER", message or "no usable answer")
    return SubmitOutcome(SubmitKind.REJECTED, code or f"HTTP_{reply[0]}", message)


class AlipayGateway(RefundGateway):
    """支付宝 alipay.trade.refund / alipay.trade.fastpay.refund.query semantics."""

    route = PaymentRoute.ALIPAY

    def submit(self, refund: RefundOrder) -> SubmitOutcome:
        reply = self._call(
            "POST",
            "/alipay/trade/refund",
            {
                "out_trade_no": refund.trade_no,
                "out_request_no": refund.request_no,
                "refund_amount": fen_to_yuan(refund.amount_fen),
                "total_amount": fen_to_yuan(refund.total_fen),
                "notify_url": refund.notify_url,
            },
        )
        data = reply[1] if reply else {}
        if reply and reply[0] == 200 and data.get("code") == "10000":
            # fund_change=Y is NOT proof that money moved: only the query or a notification is.
            return SubmitOutcome(SubmitKind.ACCEPTED, gateway_ref=str(data.get("trade_no", "")))
        if data.get("code") == "20000":  # service temporarily unavailable
            return SubmitOutcome(
                SubmitKind.UNKNOWN, str(data.get("sub_code", "")), str(data.get("sub_msg", ""))
            )
        return _unknown_or_rejected(reply, str(data.get("sub_code", "")), str(data.get("sub_msg", "")))

    def query(self, refund: RefundOrder) -> QueryOutcome:
        reply = self._call(
            "POST",
            "/alipay/trade/fastpay/refund/query",
            {"out_trade_no": refund.trade_no, "out_request_no": refund.request_no},
        )
        if reply is None or reply[0] >= 500:
            return QueryOutcome(QueryStatus.UNKNOWN, code="NO_ANSWER")
        data = reply[1]
        if data.get("code") != "10000":
            if data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return QueryOutcome(QueryStatus.NOT_FOUND)
            return QueryOutcome(QueryStatus.UNKNOWN, code=str(data.get("sub_code", "")))
        status = {
            "REFUND_SUCCESS": QueryStatus.SUCCEEDED,
            "REFUND_PROCESSING": QueryStatus.PROCESSING,
            "REFUND_FAIL": QueryStatus.FAILED,
        }.get(data.get("refund_status") or "REFUND_PROCESSING", QueryStatus.UNKNOWN)
        try:
            amount = yuan_to_fen(str(data["refund_amount"])) if data.get("refund_amount") else None
        except ValueError:
            return QueryOutcome(QueryStatus.UNKNOWN, code="BAD_AMOUNT")
        return QueryOutcome(status, amount, str(data.get("trade_no", "")))


class WechatPayGateway(RefundGateway):
    """微信支付 v3 domestic refunds: out_refund_no, amounts in fen, SUCCESS / CLOSED / ABNORMAL."""

    route = PaymentRoute.WECHAT

    def submit(self, refund: RefundOrder) -> SubmitOutcome:
        reply = self._call(
            "POST",
            "/wechat/v3/refund/domestic/refunds",
            {
                "out_trade_no": refund.trade_no,
                "out_refund_no": refund.request_no,
                "notify_url": refund.notify_url,
                "amount": {"refund": refund.amount_fen, "total": refund.total_fen, "currency": "CNY"},
            },
        )
        data = reply[1] if reply else {}
        if reply and reply[0] == 200 and data.get("status") in ("PROCESSING", "SUCCESS"):
            # Even a synchronous SUCCESS is confirmed by query or notification before we believe it.
            return SubmitOutcome(SubmitKind.ACCEPTED, gateway_ref=str(data.get("refund_id", "")))
        if data.get("code") in ("SYSTEM_ERROR", "FREQUENCY_LIMITED"):
            return SubmitOutcome(SubmitKind.UNKNOWN, str(data["code"]), str(data.get("message", "")))
        return _unknown_or_rejected(reply, str(data.get("code", "")), str(data.get("message", "")))

    def query(self, refund: RefundOrder) -> QueryOutcome:
        reply = self._call("GET", f"/wechat/v3/refund/domestic/refunds/{refund.request_no}")
        if reply is None or reply[0] >= 500:
            return QueryOutcome(QueryStatus.UNKNOWN, code="NO_ANSWER")
        status_code, data = reply
        if status_code == 404:
            return QueryOutcome(QueryStatus.NOT_FOUND)
        if status_code != 200:
            return QueryOutcome(QueryStatus.UNKNOWN, code=str(data.get("code", "")))
        status = {
            "SUCCESS": QueryStatus.SUCCEEDED,
            "PROCESSING": QueryStatus.PROCESSING,
            "CLOSED": QueryStatus.FAILED,
            "ABNORMAL": QueryStatus.FAILED,
        }.get(data.get("status"), QueryStatus.UNKNOWN)
        amount = (data.get("amount") or {}).get("refund")
        return QueryOutcome(
            status, amount if isinstance(amount, int) else None, str(data.get("refund_id", ""))
        )


class BankCardGateway(RefundGateway):
    """银行卡 (UnionPay acquirer style): a merchant serial per refund, ACCEPTED → SETTLED | RETURNED."""

    route = PaymentRoute.BANK_CARD

    def submit(self, refund: RefundOrder) -> SubmitOutcome:
        reply = self._call(
            "POST",
            "/bank/refunds",
            {
                "merchant_serial": refund.request_no,
                "original_order": refund.trade_no,
                "amount_fen": refund.amount_fen,
                "total_fen": refund.total_fen,
                "notify_url": refund.notify_url,
            },
        )
        data = reply[1] if reply else {}
        if reply and reply[0] in (200, 202) and data.get("state") in ("ACCEPTED", "SETTLED"):
            return SubmitOutcome(SubmitKind.ACCEPTED, gateway_ref=str(data.get("serial", "")))
        return _unknown_or_rejected(reply, str(data.get("error", "")), str(data.get("message", "")))

    def query(self, refund: RefundOrder) -> QueryOutcome:
        reply = self._call("GET", f"/bank/refunds/{refund.request_no}")
        if reply is None or reply[0] >= 500:
            return QueryOutcome(QueryStatus.UNKNOWN, code="NO_ANSWER")
        status_code, data = reply
        if status_code == 404:
            return QueryOutcome(QueryStatus.NOT_FOUND)
        status = {
            "SETTLED": QueryStatus.SUCCEEDED,
            "ACCEPTED": QueryStatus.PROCESSING,
            "RETURNED": QueryStatus.FAILED,
        }.get(data.get("state"), QueryStatus.UNKNOWN)
        amount = data.get("amount_fen")
        return QueryOutcome(status, amount if isinstance(amount, int) else None, str(data.get("serial", "")))


class ManualGateway(RefundGateway):
    """No API for this route (e.g. no bank API configured): every payout goes straight to staff, visibly.

    Nothing is ever sent, so the query answers "not found" and staff may record their transfer.
    """

    sandbox_protocol = False

    def submit(self, refund: RefundOrder) -> SubmitOutcome:
        return SubmitOutcome(
            SubmitKind.MANUAL, "NO_GATEWAY_API", "no refund API is configured for this route"
        )

    def query(self, refund: RefundOrder) -> QueryOutcome:
        return QueryOutcome(QueryStatus.NOT_FOUND, code="NO_GATEWAY_API")

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        raise InvalidNotification("this route has no gateway to send notifications")

    def probe(self) -> Probe:
        return Probe(True, ("no API: payouts on this route go to the staff's manual transfer queue",))


DEFAULT_ADAPTERS: dict[PaymentRoute, type[RefundGateway]] = {
    PaymentRoute.ALIPAY: AlipayGateway,
    PaymentRoute.WECHAT: WechatPayGateway,
    PaymentRoute.BANK_CARD: BankCardGateway,
}
# Short names for PAYMENT_GATEWAY_ADAPTERS (a dotted path names any other RefundGateway class).
NAMED_ADAPTERS = {
    "sandbox": None,  # the route's sandbox-protocol adapter above
    "manual": "portal.payouts.gateways:ManualGateway",
    "alipay-openapi": "portal.payouts.providers.alipay:AlipayOpenApi",
    "wechatpay-v3": "portal.payouts.providers.wechatpay:WechatPayV3",
}
# Hosts of the providers' own sandboxes: refused in production like the local one.
PROVIDER_SANDBOX_HOSTS = ("alipaydev.com",)


class NoGateway(LookupError):
    """The route has no gateway (offline transfers are paid by staff)."""


class GatewayMisconfigured(RuntimeError):
    """A route's gateway settings are unusable (refused before any money or notification is trusted)."""


def settings_for(
    route: PaymentRoute, config: Mapping, cls: type[RefundGateway] | None = None
) -> GatewaySettings:
    """Per-route settings from PAYMENT_GATEWAY_ROUTES, falling back to the shared sandbox ones."""
    own = dict((config.get("PAYMENT_GATEWAY_ROUTES") or {}).get(str(route), {}))
    sandbox = cls is None or cls.sandbox_protocol
    url = own.pop(
        "url", config.get("PAYMENT_GATEWAY_URL", "http://127.0.0.1:5055") if sandbox else cls.default_url
    )
    secret = own.pop("secret", config.get("PAYMENT_GATEWAY_SECRET") if sandbox else "")
    if sandbox and not secret:
        if not _on_this_machine(url):
            # The development key is in the source: anyone could sign a "refund succeeded" with it.
            raise GatewayMisconfigured(f"{route}: a gateway at {url} needs its own secret")
        secret = signing.DEV_SECRET
    return GatewaySettings(
        url=url,
        merchant_id=str(
            own.pop("merchant_id", config.get("PAYMENT_GATEWAY_MERCHANT_ID", "") if sandbox else "")
        ),
        secret=str(secret or ""),
        timeout=float(own.pop("timeout", config.get("PAYMENT_GATEWAY_TIMEOUT", 5.0))),
        extra=own,
    )


def _on_this_machine(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def is_sandbox_url(url: str) -> bool:
    """The local sandbox or a provider's own sandbox: never where production money goes."""
    host = urlsplit(url).hostname or ""
    return _on_this_machine(url) or any(host == h or host.endswith("." + h) for h in PROVIDER_SANDBOX_HOSTS)


def check_settings(config: Mapping) -> None:
    """Refuse to start with a gateway that cannot work, naming the setting.

    Every route's adapter is imported and built (keys and certificates read and parsed). In
    production (PRODUCTION = true) a sandbox-protocol adapter or a sandbox URL is refused too.
    """
    configured = set(config.get("PAYMENT_GATEWAY_ADAPTERS") or {})
    for route in sorted({str(r) for r in DEFAULT_ADAPTERS} | configured):
        gateway = build_gateway(route, config)
        if config.get("PRODUCTION"):
            if gateway.sandbox_protocol:
                raise GatewayMisconfigured(
                    f"PAYMENT_GATEWAY_ADAPTERS[{route}]: the sandbox protocol is for development; "
                    'name a real provider (docs/providers.md) or "manual"'
                )
            if not isinstance(gateway, ManualGateway) and is_sandbox_url(gateway.settings.url):
                raise GatewayMisconfigured(
                    f"PAYMENT_GATEWAY_ROUTES[{route}].url: {gateway.settings.url} is a sandbox, "
                    "not production"
                )


def adapter_class(route: PaymentRoute, config: Mapping) -> type[RefundGateway]:
    """The class configured for the route: PAYMENT_GATEWAY_ADAPTERS, else the development default.

    In production a bank card route with no adapter configured falls back to ManualGateway (staff
    transfer by hand), since many marketplaces have no bank refund API.
    """
    path = (config.get("PAYMENT_GATEWAY_ADAPTERS") or {}).get(str(route))
    if path and path in NAMED_ADAPTERS:
        path = NAMED_ADAPTERS[path]
    if path:
        return _import_adapter(path)
    if route == PaymentRoute.BANK_CARD and config.get("PRODUCTION"):
        return ManualGateway
    if route in DEFAULT_ADAPTERS:
        return DEFAULT_ADAPTERS[route]
    raise NoGateway(route)


def _import_adapter(path: str) -> type[RefundGateway]:
    """Import the adapter class named by "package.module:Class" or "package.module.Class"."""
    module_name, _, class_name = path.rpartition(":") if ":" in path else path.rpartition(".")
    try:
        return getattr(import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise GatewayMisconfigured(f"cannot import the gateway adapter {path!r}: {exc}") from exc


def build_gateway(route: str, config: Mapping, transport: Transport | None = None) -> RefundGateway:
    """The adapter configured for the route, with its settings (PAYMENT_GATEWAY_ADAPTERS overrides)."""
    try:
        route = PaymentRoute(route)
    except ValueError:
        raise NoGateway(route) from None
    cls = adapter_class(route, config)
    gateway = cls(settings_for(route, config, cls), transport or config.get("PAYMENT_GATEWAY_TRANSPORT"))
    gateway.route = route
    return gateway
