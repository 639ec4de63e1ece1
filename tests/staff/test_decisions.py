"""Decisions on the review page: confirmation, plain POST (303) and htmx (fragment), outcomes, locking."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from portal.cases.auditlog import verify_log
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import CaseState
from portal.clock import utcnow
from portal.extensions import db as _db
from portal.notifications.models import InboxMessage
from portal.policy.kinds import RefundType
from portal.staff import services
from tests.conftest import htmx_headers
from tests.factories import open_case, situation_order, staff
from tests.staff.conftest import post_decision


@pytest.fixture
def case(world):
    """An ordinary game-card case waiting for review (¥75, evidence received)."""
    return open_case(situation_order("game_card_unused"))


def fresh(case_id: int) -> RefundCase:
    _db.session.expire_all()
    return _db.session.get(RefundCase, case_id)


def actions(case_id: int) -> list[str]:
    return _db.session.scalars(
        select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
    ).all()


def test_the_review_page_shows_facts_history_evidence_and_suggestion(staff_client, case):
    page = staff_client("reviewer").get(f"/staff/cases/{case.id}?lang=en").text
    assert case.number in page
    assert "Delivered" in page  # the platform's delivery record
    assert "1 refund request in the last 30 days" in page
    assert "game_card.not_received" in page  # the clause applied
    assert f"/staff/evidence/{case.evidence[0].public_id}" in page
    assert "Approve…" in page and "Reject…" in page and "Request evidence…" in page


def test_claim_takes_the_case_into_review(staff_client, case):
    client = staff_client("reviewer")
    response = post_decision(client, case.id, "claim", case.version)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/cases/{case.id}")
    claimed = fresh(case.id)
    assert claimed.state == CaseState.UNDER_REVIEW
    assert claimed.assigned_to_id == staff("reviewer").id
    assert actions(case.id)[-2:] == ["under_review", "claimed"]
    # Now it is in "assigned to me".
    queue = client.get("/staff/?mine=1&state=under_review").text
    assert case.number in queue


def test_a_decision_is_confirmed_before_it_is_made(staff_client, case):
    client = staff_client("reviewer")
    response = post_decision(client, case.id, "approve", case.version, confirmed=False, mode="full")
    assert response.status_code == 200
    assert "Approve a refund of ¥75.00" in response.text
    assert 'name="approve-confirmed" value="1"' in response.text
    assert fresh(case.id).state == CaseState.EVIDENCE_RECEIVED  # nothing happened yet


def test_approve_in_full_plain_post(staff_client, case):
    response = post_decision(
        staff_client("reviewer"), case.id, "approve", case.version, mode="full", note="OK"
    )
    assert response.status_code == 303
    approved = fresh(case.id)
    assert approved.state == CaseState.APPROVED
    assert approved.approved_fen == 7500
    assert approved.decided_by_id == staff("reviewer").id
    assert approved.decision_note == "OK"
    event = _db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "approved")
    ).one()
    assert event.actor_kind == "staff" and event.data["amount_fen"] == 7500 and event.data["partial"] is False
    assert verify_log().ok


def test_approve_partially_with_htmx_returns_the_fragment(staff_client, case):
    response = post_decision(
        staff_client("reviewer"),
        case.id,
        "approve",
        case.version,
        headers=htmx_headers(),
        mode="partial",
        amount="30.50",
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="case-body"' in response.text
    assert "The refund was approved." in response.text
    assert "¥30.50" in response.text
    assert fresh(case.id).approved_fen == 3050


@pytest.mark.parametrize(
    ("amount", "message"),
    [("75.01", "cannot exceed ¥75.00"), ("abc", "Enter an amount in yuan"), ("0", "greater than zero")],
)
def test_a_partial_amount_above_the_cap_is_refused(staff_client, case, amount, message):
    response = post_decision(
        staff_client("reviewer"), case.id, "approve", case.version, mode="partial", amount=amount
    )
    assert response.status_code == 422
    assert message in response.text
    assert f'value="{amount}"' in response.text  # the input is kept
    assert fresh(case.id).state == CaseState.EVIDENCE_RECEIVED


def test_reject_needs_a_listed_reason_and_a_text(staff_client, case):
    client = staff_client("reviewer")
    response = post_decision(client, case.id, "reject", case.version, reason="made_up", note="")
    assert response.status_code == 422
    assert fresh(case.id).state == CaseState.EVIDENCE_RECEIVED
    response = post_decision(
        client,
        case.id,
        "reject",
        case.version,
        reason="evidence_insufficient",
        note="The screenshot is cut off.",
    )
    assert response.status_code == 303
    rejected = fresh(case.id)
    assert rejected.state == CaseState.REJECTED and not rejected.is_open
    assert rejected.decision_reason_code == "evidence_insufficient"
    assert rejected.decision_note == "The screenshot is cut off."


def test_request_more_evidence(staff_client, case):
    client = staff_client("reviewer")
    response = post_decision(
        client,
        case.id,
        "request_evidence",
        case.version,
        items="topup_failure_screenshot",
        message="Show the order.",
    )
    assert response.status_code == 303
    asked = fresh(case.id)
    assert asked.state == CaseState.MORE_EVIDENCE
    assert asked.requested_items == ["topup_failure_screenshot"]
    assert asked.decision_note == "Show the order."
    assert asked.step_due_at > utcnow()
    page = client.get(f"/staff/cases/{case.id}?lang=en").text
    assert "Waiting for the customer to add:" in page
    # An item that is not on the case's checklist is refused.
    other = open_case(situation_order("game_item_unused"), refund_type=RefundType.NOT_AS_DESCRIBED)
    response = post_decision(
        client, other.id, "request_evidence", other.version, items="passport", message="x"
    )
    assert response.status_code == 422


def test_arbitration_and_the_arbitrators_outcome(staff_client, case):
    reviewer, senior = staff_client("reviewer"), staff_client("senior")
    response = post_decision(reviewer, case.id, "escalate", case.version, note="Both sides have a point.")
    assert response.status_code == 303
    assert fresh(case.id).state == CaseState.ARBITRATION
    version = fresh(case.id).version
    # Reviewers do not record outcomes.
    assert (
        post_decision(
            reviewer, case.id, "arbitration_outcome", version, outcome="approve", mode="full"
        ).status_code
        == 403
    )
    response = post_decision(
        senior,
        case.id,
        "arbitration_outcome",
        version,
        outcome="approve",
        mode="partial",
        amount="40",
        reference="ARB-2026-0042",
        note="The arbitrator split the loss.",
    )
    assert response.status_code == 303
    decided = fresh(case.id)
    assert decided.state == CaseState.APPROVED and decided.approved_fen == 4000
    event = _db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "approved")
    ).one()
    assert event.data["arbitration"] == {"reference": "ARB-2026-0042", "outcome": "approved"}


def test_arbitration_rejection(staff_client, case):
    post_decision(staff_client("reviewer"), case.id, "escalate", case.version, note="Unclear.")
    response = post_decision(
        staff_client("senior"),
        case.id,
        "arbitration_outcome",
        fresh(case.id).version,
        outcome="reject",
        reference="ARB-7",
        note="The arbitrator found the customer responsible.",
    )
    assert response.status_code == 303
    decided = fresh(case.id)
    assert decided.state == CaseState.REJECTED
    assert decided.decision_reason_code == "arbitration_outcome"


def test_two_reviewers_one_wins(staff_client, case):
    first, second = staff_client("reviewer"), staff_client("reviewer2")
    version = case.version
    # Both opened the page at the same version.
    assert (
        f'name="approve-version" type="hidden" value="{version}"' in first.get(f"/staff/cases/{case.id}").text
    )
    assert (
        f'name="reject-version" type="hidden" value="{version}"' in second.get(f"/staff/cases/{case.id}").text
    )
    assert post_decision(first, case.id, "approve", version, mode="full").status_code == 303
    events_before = actions(case.id)
    response = post_decision(second, case.id, "reject", version, reason="item_used", note="Used.")
    assert response.status_code == 409
    assert "Someone else decided this case first" in response.text
    after = fresh(case.id)
    assert after.state == CaseState.APPROVED and after.decided_by_id == staff("reviewer").id
    assert actions(case.id) == events_before
    # With htmx the message comes back as a fragment htmx will swap in.
    response = post_decision(
        second, case.id, "reject", version, headers=htmx_headers(), reason="item_used", note="Used."
    )
    assert response.status_code == 422 and "<html" not in response.text
    assert "Someone else decided this case first" in response.text


def test_a_write_between_read_and_commit_is_caught(world, case):
    """The version check in SQL (StaleDataError) catches what the form's version cannot."""
    reviewer = staff("reviewer")
    loaded = _db.session.get(RefundCase, case.id)
    version = loaded.version
    # Another process bumps the row after we read it.
    with _db.engine.begin() as conn:
        conn.execute(text("UPDATE refund_cases SET version = version + 1 WHERE id = :id"), {"id": case.id})
    with pytest.raises(services.DecisionError) as error:
        services.approve(loaded, version, reviewer, services.Approval(None))
    assert error.value.code == "stale"
    assert fresh(case.id).state == CaseState.EVIDENCE_RECEIVED


def test_green_channel_badge_and_marking_urgent(staff_client, world):
    green = open_case(situation_order("game_card_green_channel"), with_evidence=True)
    ordinary = open_case(situation_order("game_card_unused"))
    assert green.green_channel and not ordinary.green_channel
    client = staff_client("reviewer")
    queue = client.get("/staff/?lang=en").text
    assert queue.index(green.number) < queue.index(ordinary.number)  # green channel first
    assert "Green channel" in client.get(f"/staff/cases/{green.id}?lang=en").text
    due_before = ordinary.review_due_at
    response = post_decision(client, ordinary.id, "green_channel", ordinary.version)
    assert response.status_code == 303
    marked = fresh(ordinary.id)
    assert marked.green_channel and marked.urgent
    assert marked.review_due_at <= due_before
    assert "green_channel" in actions(ordinary.id)


def test_the_customer_is_told_the_decision_once(staff_client, case):
    post_decision(staff_client("reviewer"), case.id, "approve", case.version, mode="full")
    events = _db.session.scalars(
        select(InboxMessage.event).where(InboxMessage.case_id == case.id).order_by(InboxMessage.id)
    ).all()
    # Deciding straight away passes through review silently: one message, the decision.
    assert events == ["submitted", "evidence_received", "approved"]
    assert actions(case.id)[-2:] == ["review_intake", "approved"]


def test_overdue_cases_are_shown_as_overdue(staff_client, case):
    case.review_due_at = case.step_due_at = utcnow() - timedelta(hours=1)
    _db.session.commit()
    client = staff_client("reviewer")
    queue = client.get("/staff/?overdue=1&lang=en").text
    assert case.number in queue and "Overdue" in queue
    assert case.number not in client.get("/staff/?green=1").text
