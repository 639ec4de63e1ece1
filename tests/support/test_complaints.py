"""投诉建议: filing with a number, category and 24-hour deadline; followed in 站内信 and on its page;
escalated when late; closing needs an answer; customer B never sees A's complaint."""

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import StaffRole, StaffUser
from portal.clock import utcnow
from portal.extensions import db as _db
from portal.notifications.models import InboxMessage
from portal.support import complaints
from portal.support.jobs import escalate_late_conversations
from portal.support.models import Complaint
from tests.factories import open_case_for


def _file(client, **fields):
    data = {"category": "service", "body": "Nobody answered the phone for an hour.", **fields}
    return client.post("/support/complaints?lang=en", data=data)


def _newest() -> Complaint:
    return _db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))


def test_a_complaint_gets_a_number_a_category_and_the_24_hour_deadline(alice, world):
    response = _file(alice)
    assert response.status_code == 303
    complaint = _newest()
    assert complaint.number.startswith("TS") and complaint.category == "service"
    assert complaint.due_at - complaint.created_at == timedelta(hours=24)
    page = alice.get(response.headers["Location"]).get_data(as_text=True)
    assert complaint.number in page and "Nobody answered the phone for an hour." in page
    assert "Not answered yet" in page
    inbox = _db.session.scalar(select(InboxMessage).where(InboxMessage.event == "complaint_received"))
    assert inbox.customer_id == world.customer_id and complaint.number in inbox.body


def test_a_complaint_about_a_decision_names_the_request(alice, world):
    case_id = open_case_for(world.customer_id).id
    refused = _file(alice, category="decision")
    assert refused.status_code == 422
    assert "Please choose the refund request" in refused.get_data(as_text=True)
    assert "Nobody answered the phone for an hour." in refused.get_data(as_text=True)  # kept
    assert _file(alice, category="decision", case=case_id).status_code == 303
    assert _newest().case_id == case_id
    staff_complaint = _file(alice, category="staff", staff_named="审核员 小王", body="Rude on the phone.")
    assert staff_complaint.status_code == 303 and _newest().staff_named == "审核员 小王"


def test_bad_complaints_are_refused_with_the_text_kept(alice):
    assert "Please describe your complaint" in _file(alice, body="bad").get_data(as_text=True)
    assert "Please choose what your complaint is about." in _file(alice, category="x").get_data(as_text=True)
    long_body = "长" * 2001
    too_long = _file(alice, body=long_body)
    assert too_long.status_code == 422 and long_body in too_long.get_data(as_text=True)
    assert _db.session.scalar(select(Complaint)) is None


def test_customer_b_never_sees_customer_a_s_complaint(alice, bob, world):
    _file(alice)
    complaint = _newest()
    assert bob.get(f"/support/complaints/{complaint.id}").status_code == 404
    assert complaint.number not in bob.get("/support/complaints").get_data(as_text=True)
    case_id = open_case_for(world.customer_id).id
    assert _file(bob, category="case", case=case_id).status_code == 422  # not B's request


def test_closing_needs_an_answer_which_the_customer_reads(alice, staff):
    _file(alice)
    complaint = _newest()
    reviewer = staff("reviewer")
    assert f"/staff/support/complaints/{complaint.id}" in reviewer.get("/staff/support/complaints").get_data(
        as_text=True
    )
    empty = reviewer.post(f"/staff/support/complaints/{complaint.id}?lang=en", data={"answer": " "})
    assert empty.status_code == 422 and "Closing a complaint needs an answer" in empty.get_data(as_text=True)
    done = reviewer.post(f"/staff/support/complaints/{complaint.id}", data={"answer": "We have added staff."})
    assert done.status_code == 303
    _db.session.expire_all()
    assert complaint.closed_at is not None
    assert "We have added staff." in alice.get(f"/support/complaints/{complaint.id}").get_data(as_text=True)
    inbox = _db.session.scalar(select(InboxMessage).where(InboxMessage.event == "complaint_answered"))
    assert "We have added staff." in inbox.body
    assert staff("editor").get("/staff/support/complaints").status_code == 403


def test_late_complaints_are_escalated_to_a_senior(world):
    now = utcnow()
    late = complaints.file_complaint(
        world.customer_id, "service", None, "", "Too slow, far too slow.", now - timedelta(hours=25)
    )
    _db.session.commit()
    assert escalate_late_conversations() == 1
    _db.session.expire_all()
    assert late.escalated_at is not None
    assert _db.session.get(StaffUser, late.assigned_to_id).role is StaffRole.SENIOR
