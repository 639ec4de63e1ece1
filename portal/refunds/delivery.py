"""When the platform learns how a delivery ended (a carrier's top-up result, the card system's answer).

A success settles the order (a top-up is credited, and no longer refundable). A failure is told to the
customer at once: where the policy says so (`open_on_failure` on a rule whose automatic approval the failure
proves), the refund request is opened for them and the automatic review approves it; otherwise they are told
that they can ask for the refund, which the order page then offers.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from portal import outbox
from portal.cases.models import RefundCase
from portal.cases.services import CaseError, CaseRequest, assess_order, case_by_key, submit_case
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import InboxMessage
from portal.notifications.preferences import wants_sms
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment
from portal.orders.models import Order
from portal.policy.publishing import ensure_published_default, ruleset_of
from portal.refunds.labels import DELIVERY_FAILED_BODY, DELIVERY_FAILED_TITLE


def record_delivery_result(order_id: int, status: DeliveryStatus, note: str = "") -> RefundCase | None:
    """Store the result; on a failure open the refund where policy allows (returns it) or tell the customer.

    Idempotent: the same failure reported twice opens one request and tells the customer once.
    """
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update(of=Order))
    if order is None:
        raise CaseError("no_such_order")
    before = order.delivery_status
    order.delivery_status = status
    order.delivery_note = note or order.delivery_note
    order.delivery_at = utcnow()
    if status is DeliveryStatus.DELIVERED and order.category is Category.PHONE_TOPUP:
        order.fulfilment = Fulfilment.CREDITED
    if not status.is_platform_failure or before == status:
        db.session.commit()
        return None
    order.abnormal = True
    db.session.flush()
    case = _open_for_customer(order, status)
    if case is None:
        _tell_customer(order)
        db.session.commit()
    return case


def _open_for_customer(order: Order, status: DeliveryStatus) -> RefundCase | None:
    proven = _proven_refund(order, status, opened_by_policy=True)
    return _submit(order, status, proven) if proven else None


def refund_in_one_tap(customer_id: int, order_id: int) -> RefundCase | None:
    """一键退款: the customer asks for the refund a platform delivery failure proves, without the wizard.

    None when the order is not theirs or no failure proves a refund (the wizard is then the way). The same
    key as the policy's own opening: a tap after the platform opened it, or a second tap, gives that case.
    """
    order = db.session.scalar(
        select(Order).where(Order.id == order_id, Order.customer_id == customer_id).with_for_update(of=Order)
    )
    if order is None or not order.delivery_status.is_platform_failure:
        return None
    if (opened := case_by_key(_key(order, order.delivery_status))) is not None:
        return opened
    proven = _proven_refund(order, order.delivery_status, opened_by_policy=False)
    return _submit(order, order.delivery_status, proven) if proven else None


def _proven_refund(order: Order, status: DeliveryStatus, opened_by_policy: bool):
    """The refund type and assessment the failure proves (approved automatically), if the rules grant one."""
    rules = ruleset_of(ensure_published_default())
    for refund_type, rule in rules.rules.get(order.category, {}).items():
        if not (rule.allowed and status in rule.auto_approve_statuses):
            continue
        if opened_by_policy and not rule.open_on_failure:
            continue
        assessment = assess_order(order, refund_type)
        if assessment.eligible and assessment.auto_approvable:
            return refund_type, assessment
    return None


def _key(order: Order, status: DeliveryStatus) -> str:
    return f"delivery-{order.id}-{status.value}"


def _submit(order: Order, status: DeliveryStatus, proven) -> RefundCase:
    refund_type, assessment = proven
    request = CaseRequest(
        customer_id=order.customer_id,
        order_id=order.id,
        refund_type=refund_type,
        reason_text="",
        amount_fen=assessment.suggested_fen,
        idempotency_key=_key(order, status),
    )
    return submit_case(request)  # commits; its news tells the customer, and automatic review approves


def _tell_customer(order: Order) -> None:
    customer = order.customer
    with force_locale(customer.locale):
        params = {"number": order.number}
        db.session.add(
            InboxMessage(
                customer_id=customer.id,
                case_id=None,
                event="delivery_failed",
                title=str(DELIVERY_FAILED_TITLE),
                body=str(DELIVERY_FAILED_BODY) % params,
            )
        )
    if wants_sms(customer, pushed=False):
        outbox.add_sms(customer.phone, "delivery_failed", params, customer.locale, customer_id=customer.id)
