"""The APP push channel: outbox rows (channel "push") delivered as signed webhook POSTs to APP_PUSH_URL.

Like SMS, a push is written to the outbox in the transaction of the change it announces, sent by the
worker (notifications.channels.PushChannel) and retried with backoff (worker.jobs.deliver_outbox). Every
try of one row carries the same `Idempotency-Key` (the row's id), so the APP's push service shows it
once even if a response got lost.
Format (README, "APP push webhook"):

    POST APP_PUSH_URL
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: outbox-<id>
    X-Refund-Timestamp: <unix seconds>
    X-Refund-Signature: sha256=<hex HMAC-SHA256(APP_PUSH_SECRET, "<timestamp>." + raw body)>
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from werkzeug.routing import BuildError

from portal import outbox
from portal.accounts.models import Customer
from portal.extensions import db
from portal.notifications.labels import EVENT_TEXTS, sms_params
from portal.notifications.preferences import wants_sms
from portal.outbox import OutboxItem

SIGNATURE_HEADER = "X-Refund-Signature"
TIMESTAMP_HEADER = "X-Refund-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# A receiver should refuse older signatures, so a captured request cannot be replayed later.
SIGNATURE_TOLERANCE_SECONDS = 300
CASE_TEMPLATE_PREFIX = "case:"


class PushError(RuntimeError):
    """The push service did not take the message; the worker tries again later."""


class AppGone(PushError):
    """The push service answered 410 Gone: the customer no longer has the APP (no retry; SMS instead)."""


def fall_back_to_sms(item: OutboxItem) -> OutboxItem | None:
    """The APP is gone: stop pushing to this customer and send this news by SMS (if they take SMS)."""
    customer = db.session.get(Customer, item.customer_id) if item.customer_id else None
    if customer is None:
        return None
    customer.has_app = False
    if not wants_sms(customer, pushed=False) or wants_sms(customer, pushed=True):
        return None  # no SMS wanted, or it went out beside the push already
    return outbox.add_sms(
        customer.phone,
        item.template,
        sms_params(item.params),
        item.locale,
        customer_id=customer.id,
        case_id=item.case_id,
    )


def queue_push(
    customer: Customer,
    template: str,
    params: dict,
    case_id: int | None = None,
    send_after: datetime | None = None,
) -> OutboxItem | None:
    """Queue a push in the caller's transaction for a customer who has the APP (None: push is off)."""
    if not customer.has_app or not current_app.config["APP_PUSH_URL"]:
        return None
    return outbox.add_push(
        customer.phone,
        template,
        params,
        customer.locale,
        customer_id=customer.id,
        case_id=case_id,
        send_after=send_after,
    )


def render_push(template: str, params: Mapping, locale: str) -> tuple[str, str, str]:
    """Title, body and detail (may be empty) in the customer's language: the in-app message's words."""
    texts = EVENT_TEXTS[template.removeprefix(CASE_TEMPLATE_PREFIX)]
    title, body = texts[0], texts[1]
    detail = texts[2] if len(texts) > 2 else None
    values = dict(params)
    with force_locale(locale):
        return str(title), str(body) % values, (str(detail) % values).strip(" .") if detail else ""


def build_message(item: OutboxItem, case_path: str | None) -> dict:
    """The JSON document sent for one outbox row."""
    title, body, detail = render_push(item.template, item.params, item.locale)
    case = None
    if item.case_id is not None:
        case = {"id": item.case_id, "number": item.params.get("number", ""), "path": case_path}
    return {
        "id": outbox.job_id_for(item.id),
        "event": item.template.removeprefix(CASE_TEMPLATE_PREFIX),
        "customer": {"id": item.customer_id, "phone": item.recipient},
        "case": case,
        "title": title,
        "body": body,
        "detail": detail,
        "locale": item.locale,
        "created_at": item.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def encode(message: Mapping) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed and sent."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for this timestamp and raw body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: int) -> bool:
    """What the APP's push service checks: the signature, and that the timestamp is recent."""
    try:
        fresh = abs(now - int(timestamp)) <= SIGNATURE_TOLERANCE_SECONDS
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def deliver(item: OutboxItem, settings: Mapping) -> str:
    """POST one push; returns a reference for the outbox row, raises PushError when not accepted."""
    url = settings["APP_PUSH_URL"]
    if not url:
        raise PushError("APP_PUSH_URL is not set")
    body = encode(build_message(item, case_path(item.case_id)))
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "RefundCenter-Push/1",
        IDEMPOTENCY_HEADER: outbox.job_id_for(item.id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(settings["APP_PUSH_SECRET"], timestamp, body),
    }
    status, reply = _post(url, body, headers, float(settings["APP_PUSH_TIMEOUT"]))
    # 409: the service already has this key, i.e. an earlier try arrived and only its answer was lost.
    if 200 <= status < 300 or status == 409:
        return f"push:{status}:{_reply_id(reply)}"[:128]
    if status == 410:
        raise AppGone("push service answered HTTP 410: the customer has no APP any more")
    raise PushError(f"push service answered HTTP {status}")


def case_path(case_id: int | None) -> str | None:
    """Path of the case's progress page, for the APP to open through a hand-off link."""
    if case_id is None:
        return None
    try:
        return current_app.url_map.bind("localhost").build("cases.progress", {"case_id": case_id})
    except BuildError:
        return f"/cases/{case_id}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a misconfigured URL, not a delivery: never re-send the body elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(4096)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4096)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PushError(f"push service unreachable: {exc}") from exc


def _reply_id(reply: bytes) -> str:
    try:
        return str(json.loads(reply).get("id", ""))
    except (ValueError, AttributeError):
        return ""
