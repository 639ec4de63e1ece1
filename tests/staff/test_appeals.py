"""Appeals go to a senior reviewer who took no part in the first decision, due within 24 hours."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import StaffRole, StaffUser
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import move
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.extensions import db as _db
from portal.staff import services
from tests.factories import open_case, situation_order, staff
from tests.staff.conftest import post_decision


def fresh(case_id: int) -> RefundCase:
    _db.session.expire_all()
    return _db.session.get(RefundCase, case_id)


def appeal(case_id: int) -> RefundCase:
    """What the customer's appeal button does (the lifecycle's view calls move the same way)."""
    case = fresh(case_id)
    move(case, CaseState.APPEALED, Actor.CUSTOMER, case.customer_id, reason="I disagree.")
    _db.session.commit()
    return fresh(case_id)


def add_senior(username: str) -> StaffUser:
    user = StaffUser(username=username, display_name=username, role=StaffRole.SENIOR)
    user.set_password(username + "-demo")
    _db.session.add(user)
    _db.session.commit()
    return user


@pytest.fixture
def rejected(world):
    case = open_case(situation_order("game_card_unused"))
    services.reject(case, case.version, staff("reviewer"), services.Rejection("evidence_insufficient", "No."))
    return fresh(case.id)


def test_an_appeal_goes_to_a_senior_and_is_due_in_24_hours(rejected):
    before = utcnow()
    appealed = appeal(rejected.id)
    assert appealed.state == CaseState.APPEALED
    assert appealed.assigned_to_id == staff("senior").id
    assert before + timedelta(hours=24) <= appealed.step_due_at <= utcnow() + timedelta(hours=24)
    routed = _db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == rejected.id, CaseEvent.action == "appeal_routed")
    ).one()
    assert staff("reviewer").id in routed.data["excluded"]


def test_a_senior_who_decided_first_does_not_get_the_appeal(world):
    other = add_senior("senior2")
    case = open_case(situation_order("game_card_unused"))
    services.reject(case, case.version, staff("senior"), services.Rejection("outside_policy", "No."))
    appealed = appeal(case.id)
    assert appealed.assigned_to_id == other.id


def test_the_first_decider_cannot_answer_the_appeal(staff_client, world):
    add_senior("senior2")
    case = open_case(situation_order("game_card_unused"))
    services.reject(case, case.version, staff("senior"), services.Rejection("outside_policy", "No."))
    appealed = appeal(case.id)
    first = staff_client("senior")
    page = first.get(f"/staff/cases/{case.id}?lang=en").text
    assert "Approve…" not in page
    assert "A senior reviewer who took no part in the first decision answers this appeal." in page
    response = post_decision(first, case.id, "approve", appealed.version, mode="full")
    assert response.status_code == 403
    assert "another senior reviewer must answer the appeal" in response.text
    assert fresh(case.id).state == CaseState.APPEALED


def test_reviewers_cannot_answer_appeals(staff_client, rejected):
    appealed = appeal(rejected.id)
    response = post_decision(staff_client("reviewer2"), rejected.id, "approve", appealed.version, mode="full")
    assert response.status_code == 403
    assert fresh(rejected.id).state == CaseState.APPEALED


def test_the_senior_overturns_the_decision(staff_client, rejected):
    appealed = appeal(rejected.id)
    senior = staff_client("senior")
    queue = senior.get("/staff/?mine=1").text
    assert rejected.number in queue
    response = post_decision(
        senior, rejected.id, "approve", appealed.version, mode="full", note="Upheld appeal."
    )
    assert response.status_code == 303
    decided = fresh(rejected.id)
    assert decided.state == CaseState.APPROVED
    assert decided.decided_by_id == staff("senior").id
    assert decided.approved_fen == 7500
    event = _db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == rejected.id, CaseEvent.action == "approved")
    ).one()
    assert event.data["appeal"] is True


def test_the_senior_upholds_or_returns_for_review(staff_client, rejected):
    appealed = appeal(rejected.id)
    senior = staff_client("senior")
    response = post_decision(senior, rejected.id, "return_to_review", appealed.version, note="Look again.")
    assert response.status_code == 303
    back = fresh(rejected.id)
    assert back.state == CaseState.UNDER_REVIEW and back.assigned_to_id is None
    assert back.step_due_at > utcnow()


def test_a_late_re_review_is_announced_like_a_late_first_review(staff_client, rejected):
    from worker.overdue import notify_overdue_reviews

    first = fresh(rejected.id)
    first.overdue_notified_at = utcnow() - timedelta(days=3)  # the first review was late, and told
    _db.session.commit()
    appealed = appeal(rejected.id)
    post_decision(staff_client("senior"), rejected.id, "return_to_review", appealed.version, note="Again.")
    back = fresh(rejected.id)
    assert back.overdue_notified_at is None
    assert notify_overdue_reviews(back.step_due_at + timedelta(minutes=1)) == 1


def test_an_overdue_review_appeal_excludes_the_reviewer_assigned(world):
    case = open_case(situation_order("game_card_unused"))
    services.claim(case, case.version, staff("reviewer"))
    case = fresh(case.id)
    case.review_due_at = utcnow() - timedelta(hours=1)
    _db.session.commit()
    appealed = appeal(case.id)  # under review, overdue -> appealed
    assert appealed.assigned_to_id == staff("senior").id
    routed = _db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "appeal_routed")
    ).one()
    assert routed.data["excluded"] == [staff("reviewer").id]


def test_assign_hands_an_appeal_only_to_eligible_seniors(staff_client, world):
    other = add_senior("senior2")
    case = open_case(situation_order("game_card_unused"))
    services.reject(case, case.version, staff("senior"), services.Rejection("outside_policy", "No."))
    appealed = appeal(case.id)
    admin = staff_client("admin")
    response = post_decision(admin, case.id, "assign", appealed.version, assignee=str(staff("senior").id))
    assert response.status_code == 422  # not a valid choice
    response = post_decision(admin, case.id, "assign", appealed.version, assignee=str(other.id))
    assert response.status_code == 303
    assert fresh(case.id).assigned_to_id == other.id
