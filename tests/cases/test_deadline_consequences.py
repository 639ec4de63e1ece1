"""Deadlines have consequences: an unanswered evidence request returns the case to review on what is there
(the customer is told), every deadline on 退款进度 says what happens when it passes, arbitration shows when
its outcome is expected and that it is final; offline orders never read 原路退回."""

from datetime import timedelta

from sqlalchemy import select

from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import CaseState
from portal.extensions import db
from portal.notifications.models import InboxMessage
from portal.policy.kinds import RefundType
from portal.staff import services as staff_services
from tests.factories import open_case, situation_order, staff
from worker.overdue import return_lapsed_evidence_requests


def _ask_for_evidence(key: str = "game_card_unused") -> RefundCase:
    case = open_case(situation_order(key), refund_type=RefundType.NOT_RECEIVED)
    request = staff_services.EvidenceRequest(("other",), "Please send a clearer screenshot.")
    return staff_services.request_evidence(case, case.version, staff("reviewer"), request, set())


def test_an_unanswered_evidence_request_returns_the_case_to_review_and_tells_the_customer(world):
    case = _ask_for_evidence()
    case_id, due = case.id, case.step_due_at
    assert case.state == CaseState.MORE_EVIDENCE and due is not None
    assert return_lapsed_evidence_requests(due - timedelta(minutes=1)) == 0
    assert return_lapsed_evidence_requests(due + timedelta(minutes=1)) == 1
    assert return_lapsed_evidence_requests(due + timedelta(minutes=2)) == 0  # once
    case = db.session.get(RefundCase, case_id, populate_existing=True)
    assert case.state == CaseState.EVIDENCE_RECEIVED and case.review_due_at > due
    last = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq.desc())
    ).first()
    assert last.action == "evidence_deadline_passed" and last.actor_kind == "system"
    told = db.session.scalars(select(InboxMessage).where(InboxMessage.case_id == case_id)).all()
    assert told[-1].event == "evidence_deadline_passed"
    assert "补充材料期限已过" in told[-1].body  # the demo customer reads Chinese


def test_every_deadline_says_what_happens_when_it_passes(world, customer, client):
    case = _ask_for_evidence()
    page = client.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Please add the evidence by" in page
    assert "If nothing arrives by then, the review goes on with what you sent" in page
    zh = client.get(f"/cases/{case.id}?lang=zh_CN").get_data(as_text=True)
    assert "逾期未补充的，将按已提交的材料继续审核" in zh


def test_arbitration_shows_when_its_outcome_is_expected_and_that_it_is_final(world, customer, client):
    case = open_case(situation_order("game_card_unused"), refund_type=RefundType.NOT_RECEIVED)
    staff_services.escalate(case, case.version, staff("reviewer"), "unclear")
    assert case.step_due_at is not None
    page = client.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Arbitration outcome expected by" in page
    assert "The arbitrator&#39;s outcome is final" in page or "The arbitrator's outcome is final" in page


def test_an_offline_order_is_never_promised_the_original_route(world, customer, client):
    case = open_case(situation_order("offline_transfer"), refund_type=RefundType.NOT_AS_DESCRIBED)
    staff_services.approve(case, case.version, staff("reviewer"), staff_services.Approval(None))
    told = db.session.scalars(select(InboxMessage).where(InboxMessage.case_id == case.id)).all()
    approved = next(m for m in told if m.event.startswith("approved"))
    assert approved.event == "approved_offline" and "原路" not in approved.body
    assert "转入您提供的收款账户" in approved.body
    for lang in ("zh_CN", "en"):
        page = client.get(f"/cases/{case.id}?lang={lang}").get_data(as_text=True)
        assert "原路" not in page and "original route" not in page


def test_a_rejection_made_after_more_evidence_can_be_appealed(world):
    from portal.cases import customer_actions
    from portal.clock import utcnow
    from tests.factories import add_evidence

    case = _ask_for_evidence()
    add_evidence(case.customer_id, "other").case_id = case.id
    db.session.flush()
    db.session.expire(case)
    customer_actions.send_evidence_back(case, case.customer_id, utcnow())
    db.session.commit()
    rejection = staff_services.Rejection("item_used", "The screenshot shows the card redeemed.")
    staff_services.reject(case, case.version, staff("reviewer"), rejection)
    assert customer_actions.Action.APPEAL in customer_actions.allowed_actions(case, utcnow())
    customer_actions.appeal(case, case.customer_id, "I never redeemed it.", utcnow())
    db.session.commit()
    assert case.state == CaseState.APPEALED
