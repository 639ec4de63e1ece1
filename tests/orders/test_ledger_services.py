"""The ledger through the services: after a partial refund only what the rule still grants is offered, staff
cannot approve past what remains, and the payout check names the remaining amount."""

import pytest
from sqlalchemy import select

from portal.cases.services import assess_order, order_ledger
from portal.clock import utcnow
from portal.extensions import db
from portal.orders.models import Order
from portal.payouts import services as payouts
from portal.payouts.gateways import SubmitKind, SubmitOutcome
from portal.payouts.models import Payout
from portal.payouts.services import PayoutError, PayoutSettings
from portal.payouts.states import SuccessSource
from portal.policy.kinds import RefundType
from portal.staff import services as staff_services
from tests.factories import open_case, situation_order, staff


def pay_out(case_id: int) -> None:
    """The case's payout goes through and succeeds (the gateway's answers without the network)."""
    settings = PayoutSettings.from_config({})
    payout = db.session.scalar(select(Payout).where(Payout.case_id == case_id))
    ticket = payouts.claim(payout.id, settings, utcnow())
    payouts.record_submit(payout.id, ticket.token, SubmitOutcome(SubmitKind.ACCEPTED), settings)
    payouts.apply_success(payouts.lock_payout(payout.id), SuccessSource.QUERY, "REF")
    db.session.commit()


def test_after_a_partial_refund_the_used_item_offers_only_what_its_grant_has_left(world):
    order = situation_order("game_item_used_defective")  # ¥648, used: the rule grants 30 % = ¥194.40 in all
    first = assess_order(order, RefundType.INVALID)
    assert first.suggested_fen == 19440
    case = open_case(order, refund_type=RefundType.INVALID)
    staff_services.approve(case, case.version, staff("reviewer"), staff_services.Approval(10000, "partial"))
    pay_out(case.id)
    order = db.session.get(Order, order.id, populate_existing=True)
    assert order.refunded_fen == 10000
    again = assess_order(order, RefundType.INVALID)
    assert again.eligible and again.suggested_fen == 9440 and again.cap_fen == 54800


def test_staff_cannot_approve_past_what_remains(world):
    order = situation_order("partly_refunded")  # ¥98, half refunded before
    case = open_case(order, refund_type=RefundType.INVALID)
    assert case.requested_fen == 2940  # 80 % unused less the 50 % that went back
    with pytest.raises(staff_services.DecisionError) as refused:
        staff_services.approve(case, case.version, staff("reviewer"), staff_services.Approval(2941))
    assert refused.value.code == "amount_over_cap" and refused.value.params["cap"] == 2940


def test_the_payout_check_under_the_order_lock_names_what_remains(world):
    order = situation_order("game_card_unused")
    case = open_case(order, refund_type=RefundType.NOT_RECEIVED)
    ledger = order_ledger(order)
    assert ledger.reserved_fen == case.requested_fen and ledger.remaining_fen == 0
    assert order_ledger(order, excluding_case_id=case.id).remaining_fen == order.amount_fen
    order.refunded_fen = 1000  # money went back meanwhile, behind the decision's back
    db.session.flush()
    with pytest.raises(PayoutError) as refused:
        payouts.check_ledger(order, case, case.requested_fen)
    assert refused.value.code == "exceeds_refundable"
    assert refused.value.params["remaining_fen"] == order.amount_fen - 1000


def test_a_decision_sees_money_that_went_back_meanwhile(world):
    order = situation_order("game_card_unused")
    case = open_case(order, refund_type=RefundType.NOT_RECEIVED)
    db.session.commit()
    order.refunded_fen = order.amount_fen - 500  # another refund landed after the form was drawn
    db.session.commit()
    with pytest.raises(staff_services.DecisionError) as refused:
        staff_services.approve(case, case.version, staff("reviewer"), staff_services.Approval(600))
    assert refused.value.code == "amount_over_cap" and refused.value.params["cap"] == 500


def test_a_race_lost_at_payout_scheduling_becomes_a_clear_decision_error(world, monkeypatch):
    order = situation_order("game_card_unused")
    case = open_case(order, refund_type=RefundType.NOT_RECEIVED)
    db.session.commit()
    # The decision read the ledger before the other refund committed (a race): only the locked check sees it.
    monkeypatch.setattr(staff_services, "decision_cap", lambda case: case.requested_fen)
    order.refunded_fen = order.amount_fen - 500
    db.session.commit()
    with pytest.raises(staff_services.DecisionError) as refused:
        staff_services.approve(case, case.version, staff("reviewer"), staff_services.Approval(600))
    assert refused.value.code == "amount_over_cap" and refused.value.params["cap"] == 500
    assert db.session.scalar(select(Payout).where(Payout.case_id == case.id)) is None
