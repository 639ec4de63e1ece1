"""When the platform learns how a delivery ended: a pending top-up settles; a failure opens the refund for the
customer and the automatic review approves it, or (where policy does not open it) the customer is told that
they can ask, in one message and one SMS."""

import copy

from click.testing import CliRunner
from sqlalchemy import func, select

from portal.cases import autoreview
from portal.cases.models import RefundCase
from portal.cases.services import facts_for
from portal.cases.states import CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import InboxMessage
from portal.orders.kinds import DeliveryStatus, Fulfilment
from portal.orders.models import Order
from portal.outbox import OutboxItem
from portal.policy import engine
from portal.policy.defaults import DEFAULT_RULES
from portal.policy.models import PolicyVersion
from portal.policy.publishing import ensure_published_default, published_version, ruleset_of
from portal.refunds.delivery import record_delivery_result
from tests.factories import situation_order


def _cases(order_id: int) -> list[RefundCase]:
    return list(db.session.scalars(select(RefundCase).where(RefundCase.order_id == order_id)))


def test_a_failed_top_up_is_refunded_without_the_customer_asking(world):
    order = situation_order("topup_pending")
    assert facts_for(order).delivery_status is DeliveryStatus.PENDING
    case = record_delivery_result(order.id, DeliveryStatus.NOT_CREDITED, "运营商回执：充值失败")
    assert case is not None and case.auto_approvable and case.requested_fen == order.amount_fen
    assert record_delivery_result(order.id, DeliveryStatus.NOT_CREDITED) is None  # told once, opened once
    assert len(_cases(order.id)) == 1
    assert autoreview.review_case(case.id) == "approved"
    case = db.session.get(RefundCase, case.id, populate_existing=True)
    assert case.state == CaseState.APPROVED and case.approved_fen == order.amount_fen
    told = db.session.scalars(select(InboxMessage.event).where(InboxMessage.case_id == case.id)).all()
    assert "submitted" in told


def test_where_policy_does_not_open_it_the_customer_is_told_they_can_ask(world):
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["categories"]["phone_topup"]["not_received"].pop("open_on_failure")
    current = ensure_published_default()
    # Published rules never change: a new version is published, as the policy editor does.
    db.session.add(
        PolicyVersion(
            status="published", rules=rules, texts=current.texts, note="test", published_at=utcnow()
        )
    )
    db.session.commit()
    order = situation_order("topup_pending")
    assert record_delivery_result(order.id, DeliveryStatus.NOT_CREDITED) is None
    assert _cases(order.id) == []
    message = db.session.scalar(select(InboxMessage).where(InboxMessage.event == "delivery_failed"))
    assert message.case_id is None and order.number in message.body and "全额退款" in message.body
    sms = db.session.scalar(
        select(func.count()).select_from(OutboxItem).where(OutboxItem.template == "delivery_failed")
    )
    assert sms == 1
    order = db.session.get(Order, order.id, populate_existing=True)
    verdict = engine.verdict(facts_for(order), _rules(), utcnow())
    assert verdict.state == "refundable" and verdict.max_fen == order.amount_fen


def _rules():
    return ruleset_of(published_version())


def test_a_credited_top_up_settles_and_is_no_longer_refundable(world):
    order = situation_order("topup_pending")
    assert record_delivery_result(order.id, DeliveryStatus.DELIVERED, "运营商回执：已到账") is None
    order = db.session.get(Order, order.id, populate_existing=True)
    assert order.fulfilment is Fulfilment.CREDITED
    verdict = engine.verdict(facts_for(order), _rules(), utcnow())
    assert verdict.state == "not_refundable" and verdict.reason_code == "topup_credited"


def test_the_command_records_a_result(app, world):
    order = situation_order("topup_pending")
    number = order.number
    db.session.commit()
    result = CliRunner().invoke(app.cli, ["delivery", "result", number, "not_credited"], obj=None)
    assert result.exit_code == 0 and "opened" in result.output
    assert len(_cases(order.id)) == 1
    bad = CliRunner().invoke(app.cli, ["delivery", "result", "ZS0", "not_credited"])
    assert bad.exit_code != 0 and "no order ZS0" in bad.output
