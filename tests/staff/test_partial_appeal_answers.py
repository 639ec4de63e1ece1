"""A senior answers an appeal against a partial approval: grants more (its own payout, within what was asked
and not granted and within the order's ledger) or refuses; either answer is final and closes the type."""

import pytest
from sqlalchemy import func, select

from portal.accounts.models import StaffRole
from portal.cases import partial_appeal
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import assess_order
from portal.cases.states import CaseState
from portal.extensions import db
from portal.notifications.models import InboxMessage
from portal.orders.kinds import Fulfilment, Usage
from portal.orders.models import Order
from portal.payouts.models import Payout
from portal.policy.kinds import RefundType
from portal.staff import services
from tests.factories import (
    appeal_partial,
    approve,
    demo_customer,
    new_order,
    new_staff,
    open_case,
    partly_approve,
    settle,
    sign_in_customer,
    staff,
)
from tests.staff.conftest import post_decision


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _paid_back(order_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_fen), 0)).where(Payout.order_id == order_id)
    )


@pytest.fixture
def order(world):
    """A ¥75 card of the demo customer, paid by Alipay."""
    return new_order(demo_customer().id)


@pytest.fixture
def partial(order):
    """¥30 of ¥75 approved by the reviewer, its payout scheduled."""
    case = open_case(order)
    partly_approve(case, 3000)
    return _fresh(RefundCase, case.id)


def test_the_appeal_goes_to_a_senior_who_took_no_part(partial):
    appeal = appeal_partial(partial)
    assert appeal.assigned_to_id == staff("senior").id
    assert partial.decided_by_id == staff("reviewer").id
    routed = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == appeal.id, CaseEvent.action == "appeal_routed")
    )
    assert staff("reviewer").id in routed.data["excluded"]


def test_a_senior_who_made_the_partial_decision_does_not_answer_it(order, staff_client):
    other = new_staff("senior2", StaffRole.SENIOR)
    db.session.commit()
    case = open_case(order)
    partly_approve(case, 3000, by="senior")
    appeal = appeal_partial(_fresh(RefundCase, case.id))
    assert appeal.assigned_to_id == other.id
    response = post_decision(staff_client("senior"), appeal.id, "approve", appeal.version, mode="full")
    assert response.status_code == 403
    assert _fresh(RefundCase, appeal.id).state == CaseState.APPEALED


def test_granting_the_rest_pays_exactly_the_difference_by_its_own_payout(partial):
    first = db.session.scalar(select(Payout).where(Payout.case_id == partial.id))
    settle(first)
    appeal = appeal_partial(_fresh(RefundCase, partial.id))
    assert "return_to_review" not in services.available_actions(appeal, staff("senior"))
    services.approve(appeal, appeal.version, staff("senior"), services.Approval(None, "You are right."))
    appeal = _fresh(RefundCase, appeal.id)
    assert appeal.state == CaseState.APPROVED and appeal.final_decision and appeal.approved_fen == 4500
    second = db.session.scalar(select(Payout).where(Payout.case_id == appeal.id))
    assert second.amount_fen == 4500 and second.route == first.route and second.id != first.id
    settle(second)
    settle(second)  # a second word from the gateway changes nothing
    order = _fresh(Order, partial.order_id)
    assert order.refunded_fen == order.amount_fen == 7500
    assert _paid_back(order.id) == 7500
    # The granted part was never touched.
    assert _fresh(RefundCase, partial.id).approved_fen == 3000
    told = db.session.scalar(
        select(InboxMessage).where(InboxMessage.case_id == appeal.id, InboxMessage.event == "appeal_approved")
    )
    assert told is not None and partial.number in told.body and "¥45.00" in told.body


def test_the_senior_cannot_grant_more_than_was_not_granted(partial):
    appeal = appeal_partial(partial)
    with pytest.raises(services.DecisionError) as refused:
        services.approve(appeal, appeal.version, staff("senior"), services.Approval(4501))
    assert refused.value.code == "amount_over_cap" and refused.value.params["cap"] == 4500
    services.approve(appeal, appeal.version, staff("senior"), services.Approval(1000))
    assert db.session.scalar(select(Payout.amount_fen).where(Payout.case_id == appeal.id)) == 1000


def test_the_ledger_bounds_the_grant_when_another_case_took_part_of_the_rest(order, partial):
    settle(db.session.scalar(select(Payout).where(Payout.case_id == partial.id)))
    # Another request on the order, after the first was paid: ¥20 more approved and paid.
    other = open_case(_fresh(Order, order.id), amount_fen=2000)
    settle(approve(other))
    appeal = appeal_partial(_fresh(RefundCase, partial.id))
    assert appeal.requested_fen == 4500  # what was asked and not granted
    with pytest.raises(services.DecisionError) as refused:
        services.approve(appeal, appeal.version, staff("senior"), services.Approval(4500))
    assert refused.value.params["cap"] == 2500  # but only ¥25 remains of the ¥75 paid
    appeal = _fresh(RefundCase, appeal.id)
    services.approve(appeal, appeal.version, staff("senior"), services.Approval(None))
    payout = db.session.scalar(select(Payout).where(Payout.case_id == appeal.id))
    assert payout.amount_fen == 2500
    settle(payout)
    assert _paid_back(order.id) == _fresh(Order, order.id).refunded_fen == 7500


def test_a_refusal_is_final_and_closes_the_type_for_the_order(app, client, partial):
    settle(db.session.scalar(select(Payout).where(Payout.case_id == partial.id)))
    appeal = appeal_partial(_fresh(RefundCase, partial.id))
    assert "return_to_review" not in services.available_actions(appeal, staff("senior"))
    rejection = services.Rejection("outside_policy", "The part granted is what the rules allow.")
    services.reject(appeal, appeal.version, staff("senior"), rejection)
    appeal = _fresh(RefundCase, appeal.id)
    assert appeal.state == CaseState.REJECTED and appeal.final_decision and not appeal.is_open
    assert db.session.scalar(select(Payout).where(Payout.case_id == appeal.id)) is None
    assert _paid_back(partial.order_id) == 3000
    assessment = assess_order(_fresh(Order, partial.order_id), partial.refund_type)
    assert not assessment.eligible and assessment.reason_code == "finally_decided"
    sign_in_customer(client, app)
    page = client.get(f"/cases/{appeal.id}?lang=en").text
    assert "This answer to your appeal is final." in page and 'id="appeal"' not in page
    assert "The part granted is what the rules allow." in page
    # The order still offers what other types allow, and says why this type is closed.
    wizard = client.get(f"/orders/{partial.order_id}/refund?lang=en").text
    choice = wizard.split(f'id="type-{partial.refund_type}"', 1)[1].split("</label>", 1)[0]
    assert "disabled" in choice.split(">", 1)[0] and "A final decision was made" in choice
    told = db.session.scalar(
        select(InboxMessage).where(InboxMessage.case_id == appeal.id, InboxMessage.event == "appeal_rejected")
    )
    assert told is not None and partial.number in told.body


def test_a_partial_answer_to_an_appeal_cannot_be_appealed_again(partial):
    appeal = appeal_partial(partial)
    services.approve(appeal, appeal.version, staff("senior"), services.Approval(1000))
    assert not partial_appeal.may_appeal(_fresh(RefundCase, appeal.id))
    assert not partial_appeal.may_appeal(_fresh(RefundCase, partial.id))


def test_the_rule_s_grant_in_all_bounds_the_answer_too(world):
    """A used item's rule grants a share of the order once: what a later request took of it is not granted
    again on appeal, although the ledger (what was paid) still has room."""
    order = new_order(demo_customer().id, sku="GI-GEMS-6480")
    order.usage, order.used_permille, order.fulfilment = Usage.USED, 1000, Fulfilment.CREDITED
    db.session.commit()
    refund_type = next(t for t in RefundType if assess_order(order, t).eligible)
    grant = assess_order(order, refund_type).suggested_fen
    assert 0 < grant < order.amount_fen
    first = open_case(order, refund_type=refund_type, amount_fen=grant)
    settle(partly_approve(first, grant // 3))
    later = open_case(_fresh(Order, order.id), refund_type=refund_type)  # the rest of the grant
    settle(approve(later))
    appeal = appeal_partial(_fresh(RefundCase, first.id))
    assert appeal.requested_fen == grant - grant // 3
    assert partial_appeal.grantable_fen(appeal) == 0 < _fresh(Order, order.id).amount_fen - grant
    assert services.decision_cap(appeal) == 0
    with pytest.raises(services.DecisionError):
        services.approve(appeal, appeal.version, staff("senior"), services.Approval(1))
    assert _paid_back(order.id) == grant


def test_the_staff_pages_link_the_appeal_and_the_partly_approved_case(partial, staff_client):
    appeal = appeal_partial(partial)
    senior = staff_client("senior")
    page = senior.get(f"/staff/cases/{appeal.id}?lang=en").text
    assert f'href="/staff/cases/{partial.id}"' in page and "partly approved: ¥30.00 of ¥75.00" in page
    assert "Send back…" not in page
    original = senior.get(f"/staff/cases/{partial.id}?lang=en").text
    assert f'href="/staff/cases/{appeal.id}"' in original and "for the ¥45.00 not granted" in original
