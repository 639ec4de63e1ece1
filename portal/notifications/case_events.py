"""What a case event means for the customer: a 站内信 message always, and an SMS or APP push when the policy's
`phone_news` names the event, written with the change."""

from datetime import datetime, timedelta

from flask_babel import force_locale

from portal import outbox
from portal.cases import deadlines
from portal.cases.dates import local_date, local_deadline
from portal.cases.events import case_announced
from portal.cases.labels import reason_label
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.progress import requested_item_labels
from portal.cases.states import CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.money import format_fen
from portal.notifications.labels import EVENT_TEXTS, EventText, sms_params
from portal.notifications.models import InboxMessage
from portal.notifications.preferences import wants_sms
from portal.notifications.push import queue_push
from portal.orders.kinds import PaymentRoute
from portal.orders.labels import PAYMENT_ROUTE
from portal.policy.publishing import policy_in_force

# An answer to an appeal is told as such: the customer is waiting for that answer, not for a decision.
_APPEAL_ANSWERS = {
    "approved": "appeal_approved",
    "rejected": "appeal_rejected",
    "under_review": "appeal_returned",
}


def subscribe() -> None:
    """Called by the app factory: every case event the core announces reaches the customer."""
    case_announced.connect(notify_customer)


def notify_customer(case: RefundCase, event: str) -> None:
    """Write the inbox message for this event, if it is one we announce, and the push or SMS outbox row if
    the policy in force sends this event to the phone."""
    key = text_key(case, event, _previous_state(case))
    if key is None:
        return
    texts = EVENT_TEXTS[key]
    customer = case.customer
    with force_locale(customer.locale):
        params = event_params(case, customer.locale, utcnow())
        title, body, detail = _render(texts, params)
    db.session.add(
        InboxMessage(
            customer_id=customer.id,
            case_id=case.id,
            event=key,
            title=title,
            body=f"{body}\n{detail}" if detail else body,
        )
    )
    news = policy_in_force()[1].phone_news
    if key not in news.events:
        return
    send_after = _coalesce(case.id, news.coalesce_seconds)
    pushed = queue_push(customer, f"case:{key}", params, case_id=case.id, send_after=send_after) is not None
    if wants_sms(customer, pushed):
        outbox.add_sms(
            customer.phone,
            f"case:{key}",
            sms_params(params),
            customer.locale,
            customer_id=customer.id,
            case_id=case.id,
            send_after=send_after,
        )


def _coalesce(case_id: int, seconds: int) -> datetime | None:
    """News waits `seconds` before it goes to the phone, and replaces the case's message still waiting from
    the last `seconds`: one message tells the latest state. Returns when this news may be sent (None: now)."""
    if not seconds:
        return None
    now, window = utcnow(), timedelta(seconds=seconds)
    outbox.supersede_waiting(case_id, since=now - window)
    return now + window


def text_key(case: RefundCase, event: str, previous: str | None) -> str | None:
    """Which EVENT_TEXTS entry tells the customer about `event` (None: nothing to say); an offline order's
    approval says where the money goes instead of 原路退回."""
    key = _text_key(case, event, previous)
    if (
        key is not None
        and case.order.payment_route == PaymentRoute.OFFLINE
        and f"{key}_offline" in EVENT_TEXTS
    ):
        return f"{key}_offline"
    return key


def _text_key(case: RefundCase, event: str, previous: str | None) -> str | None:
    if previous == CaseState.APPEALED and event in _APPEAL_ANSWERS:
        # A partly approved appeal says the amount; "partly" is spelled out on the progress page.
        return _APPEAL_ANSWERS[event]
    if previous == CaseState.MANUAL and event == CaseState.EXECUTING:
        return None  # the customer was told about the payout already; manual handling is internal
    if event == "approved" and _partial(case):
        return "approved_partial"
    return event if event in EVENT_TEXTS else None


def event_params(case: RefundCase, locale: str, now: datetime) -> dict[str, str]:
    """Every parameter an event text may use, formatted for `locale` (call inside force_locale)."""
    route = case.order.payment_route
    due = case.step_due_at or case.review_due_at
    amount = case.approved_fen if case.approved_fen is not None else case.requested_fen
    _, latest = deadlines.arrival_window(now, route)
    return {
        # An appeal against a partial approval is told under the request the customer knows.
        "number": (case.appeal_of or case).number,
        "due": local_deadline(due, locale) if due else "",
        "amount": format_fen(amount),
        "requested": format_fen(case.requested_fen),
        "route": str(PAYMENT_ROUTE[route]),
        "arrival": local_date(latest, locale),
        "reason": reason_label(case.decision_reason_code),
        "note": case.decision_note or "",
        "items": ", ".join(_item_labels(case, locale)),
    }


def _render(texts: EventText, params: dict[str, str]) -> tuple[str, str, str]:
    detail = (str(texts.detail) % params).strip(" .") if texts.detail else ""
    return str(texts.title), str(texts.body) % params, detail


def _partial(case: RefundCase) -> bool:
    return case.approved_fen is not None and case.approved_fen < case.requested_fen


def _item_labels(case: RefundCase, locale: str) -> list[str]:
    if not case.requested_items:
        return []
    return requested_item_labels(case, locale)


def _previous_state(case: RefundCase) -> str | None:
    """The state the case left in the move being announced: the newest event not yet written for it.

    services.move appends the event just before announcing; reading it from the session avoids a
    query (and an autoflush in the middle of the caller's change).
    """
    pending = [e for e in db.session.new if isinstance(e, CaseEvent) and e.case_id == case.id]
    moves = [e for e in pending if e.from_state != e.to_state]
    if not moves:
        return None
    return max(moves, key=lambda e: e.seq).from_state
