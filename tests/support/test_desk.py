"""The service desk: queue by deadline, claim and assign, escalation, canned replies, the basis, rights."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import StaffRole, StaffUser
from portal.cases.states import CaseState
from portal.clock import utcnow
from portal.extensions import db as _db
from portal.support import services
from portal.support.jobs import escalate_late_conversations
from portal.support.models import CannedReply, Conversation
from tests.factories import advance, open_case_for


def _conversation(customer_id, body="Hello", case_id=None, at=None) -> Conversation:
    now = at or utcnow()
    conversation = services.open_conversation(customer_id, None, case_id, now)
    services.add_customer_message(conversation, body, None, None, now)
    _db.session.commit()
    return conversation


def _staff(username) -> StaffUser:
    return _db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def test_the_queue_puts_the_nearest_deadline_first_and_flags_late_ones(staff, world):
    now = utcnow()
    recent = _conversation(world.customer_id, "recent", at=now - timedelta(hours=1))
    old = _conversation(
        world.customer_id, "old", case_id=open_case_for(world.customer_id).id, at=now - timedelta(hours=30)
    )
    page = staff("reviewer").get("/staff/support?lang=en").get_data(as_text=True)
    assert page.index(old.number) < page.index(recent.number)
    late_row = page[page.index(old.number) : page.index(recent.number)]
    assert "Late" in late_row


def test_late_conversations_are_escalated_to_a_senior_once(world):
    late = _conversation(world.customer_id, at=utcnow() - timedelta(hours=25))
    _conversation(world.customer_id, case_id=open_case_for(world.customer_id).id)  # not late
    assert escalate_late_conversations() == 1
    _db.session.expire_all()
    assert late.escalated_at is not None
    assert _db.session.get(StaffUser, late.assigned_to_id).role is StaffRole.SENIOR
    assert escalate_late_conversations() == 0


def test_the_escalation_job_runs_on_the_worker_clock():
    from portal.support.jobs import escalate_late_conversations
    from worker.__main__ import PERIODIC_JOBS

    assert escalate_late_conversations in PERIODIC_JOBS


def test_a_reviewer_claims_and_answers_a_senior_assigns(staff, world):
    conversation = _conversation(world.customer_id)
    reviewer = staff("reviewer")
    assert reviewer.post(f"/staff/support/{conversation.id}/claim").status_code == 303
    _db.session.expire_all()
    assert conversation.assigned_to_id == _staff("reviewer").id
    other = _staff("reviewer2")
    assert (
        reviewer.post(f"/staff/support/{conversation.id}/assign", data={"assignee": other.id}).status_code
        == 403
    )
    assert (
        staff("senior")
        .post(f"/staff/support/{conversation.id}/assign", data={"assignee": other.id})
        .status_code
        == 303
    )
    _db.session.expire_all()
    assert conversation.assigned_to_id == other.id
    editor = _staff("editor")
    staff("senior").post(f"/staff/support/{conversation.id}/assign", data={"assignee": editor.id})
    _db.session.expire_all()
    assert conversation.assigned_to_id == other.id  # an editor cannot be given conversations


def test_an_empty_answer_is_refused(staff, world):
    conversation = _conversation(world.customer_id)
    response = staff("reviewer").post(f"/staff/support/{conversation.id}/reply?lang=en", data={"body": "  "})
    assert response.status_code == 422
    assert "Please write a message" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/staff/support"),
        ("GET", "/staff/support/{id}"),
        ("POST", "/staff/support/{id}/reply"),
        ("POST", "/staff/support/{id}/claim"),
    ],
)
def test_an_editor_does_not_read_customers_conversations(staff, world, method, url):
    conversation = _conversation(world.customer_id, "private words")
    response = staff("editor").open(url.format(id=conversation.id), method=method, data={"body": "x"})
    assert response.status_code == 403
    assert not conversation.messages[0].read_at


def test_customers_never_reach_the_desk(alice, world):
    conversation = _conversation(world.customer_id)
    assert alice.get(f"/staff/support/{conversation.id}").status_code in (302, 403)
    assert alice.get("/staff/support").status_code in (302, 403)


def test_editors_maintain_canned_replies_and_reviewers_answer_from_them_in_the_customer_s_language(
    staff, world
):
    editor = staff("editor")
    saved = editor.post(
        "/staff/support/replies",
        data={
            "title": "Arrival times",
            "body_zh": "退款将在1-3个工作日内到账。",
            "body_en": "Refunds arrive in 1-3 working days.",
            "active": "y",
        },
    )
    assert saved.status_code == 303
    reply = _db.session.scalar(select(CannedReply))
    assert staff("reviewer").get("/staff/support/replies").status_code == 403
    conversation = _conversation(world.customer_id)
    page = staff("reviewer").get(f"/staff/support/{conversation.id}?canned={reply.id}").get_data(as_text=True)
    assert "退款将在1-3个工作日内到账。" in page  # the demo customer reads Chinese
    invalid = editor.post("/staff/support/replies", data={"title": "", "body_zh": "", "body_en": ""})
    assert invalid.status_code == 422


def test_answer_with_the_basis_inserts_decision_rule_policy_version_and_evidence(staff, world):
    case_id = open_case_for(world.customer_id).id
    case = advance(
        case_id,
        CaseState.EVIDENCE_RECEIVED,
        CaseState.UNDER_REVIEW,
        CaseState.REJECTED,
        decision_reason_code="item_used",
        decision_note="The card was redeemed on 3 May.",
    )
    conversation = _conversation(world.customer_id, case_id=case_id)
    _db.session.get(conversation.customer.__class__, world.customer_id).locale = "en"
    _db.session.commit()
    page = staff("reviewer").get(f"/staff/support/{conversation.id}?basis=1&lang=en").get_data(as_text=True)
    assert f"Refund request {case.number}: Rejected." in page
    assert "The platform&#39;s records show the item was used" in page
    assert "The card was redeemed on 3 May." in page
    assert f"Rule applied: {case.clause}." in page
    assert f"Policy version: {case.policy_version_id}" in page
    assert "Evidence checked:" in page


def test_the_desk_shows_the_customer_s_orders_and_cases_beside_the_conversation(staff, world):
    case_id = open_case_for(world.customer_id).id
    conversation = _conversation(world.customer_id, case_id=case_id)
    page = staff("reviewer").get(f"/staff/support/{conversation.id}?lang=en").get_data(as_text=True)
    assert "orders and refunds" in page
    assert conversation.case.number in page and conversation.case.order.number in page


def test_service_figures_for_seniors_only(staff, world):
    now = utcnow()
    fast = _conversation(world.customer_id, at=now - timedelta(hours=2))
    services.add_staff_reply(fast, _staff("reviewer"), "ok", now)
    slow = _conversation(
        world.customer_id, case_id=open_case_for(world.customer_id).id, at=now - timedelta(hours=30)
    )
    services.add_staff_reply(slow, _staff("reviewer"), "sorry", now)
    _conversation(world.customer_id, case_id=open_case_for(world.customer_id).id, at=now - timedelta(hours=5))
    _db.session.commit()
    figures = services.figures(now)
    assert (figures.answers, figures.answered_in_time, figures.in_time_percent) == (2, 1, 50.0)
    assert figures.open_by_age == {"under_4h": 0, "under_24h": 1, "over_24h": 0}
    assert staff("reviewer").get("/staff/support/figures").status_code == 403
    page = staff("senior").get("/staff/support/figures?lang=en").get_data(as_text=True)
    assert "50.0% (1/2)" in page


def test_the_senior_a_late_conversation_or_complaint_goes_to_is_told_in_the_console(staff, world):
    from portal.support import complaints

    notice = "escalated-notice"
    late = _conversation(world.customer_id, "Nobody answers", at=utcnow() - timedelta(hours=25))
    complaints.file_complaint(
        world.customer_id, "service", None, "", "Too slow, far too slow.", utcnow() - timedelta(hours=26)
    )
    _db.session.commit()
    senior = staff("senior")
    assert notice not in senior.get("/staff/?lang=en").get_data(as_text=True)  # not escalated yet
    assert escalate_late_conversations() == 2
    _db.session.expire_all()
    assert _db.session.get(StaffUser, late.assigned_to_id).username == "senior"
    page = senior.get("/staff/?lang=en").get_data(as_text=True)  # any console page
    assert notice in page
    assert "1 late conversation was escalated to you." in page and 'href="/staff/support"' in page
    assert "1 late complaint was escalated to you." in page and 'href="/staff/support/complaints"' in page
    assert "已升级给您" in senior.get("/staff/?lang=zh_CN").get_data(as_text=True)
    assert notice not in staff("reviewer").get("/staff/?lang=en").get_data(as_text=True)  # not theirs
    # Answered, the conversation leaves the notice; the complaint stays until it is closed.
    senior.post(f"/staff/support/{late.id}/reply", data={"body": "Sorry for the wait: it is refunded."})
    page = senior.get("/staff/?lang=en").get_data(as_text=True)
    assert "late conversation" not in page and "1 late complaint was escalated to you." in page
