"""投诉建议: a complaint about a case, a decision, the service or a staff member, answered within 24 hours.

A complaint has a number (TS…), a category and the 24-hour answer deadline (the source's promise of the
customer-service team); a late one is escalated to a senior by the worker's clock; closing it needs an
answer, which the customer reads on the complaint's page and in 站内信.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.cases import deadlines
from portal.cases.models import RefundCase
from portal.extensions import db
from portal.staff.appeals import pick_senior
from portal.support.models import Complaint
from portal.support.services import MESSAGE_MAX, SupportError

CATEGORIES = ("case", "decision", "service", "staff")
BODY_MIN = 5
ANSWER_MIN = 5
STAFF_NAME_MAX = 64


def new_number(now: datetime) -> str:
    return "TS" + now.strftime("%Y%m%d") + secrets.token_hex(4).upper()


def file_complaint(
    customer_id: int, category: str, case_id: int | None, staff_named: str, body: str, now: datetime
) -> Complaint:
    """Record a complaint (the caller commits); raises SupportError with the field's problem."""
    if category not in CATEGORIES:
        raise SupportError("complaint_category")
    text = (body or "").strip()
    if len(text) < BODY_MIN:
        raise SupportError("complaint_short", min=BODY_MIN)
    if len(text) > MESSAGE_MAX:
        raise SupportError("too_long", limit=MESSAGE_MAX, length=len(text))
    if case_id is not None and (
        db.session.scalar(
            select(RefundCase.id).where(RefundCase.id == case_id, RefundCase.customer_id == customer_id)
        )
        is None
    ):
        raise SupportError("not_found")
    if category in ("case", "decision") and case_id is None:
        raise SupportError("complaint_needs_case")
    complaint = Complaint(
        number=new_number(now),
        customer_id=customer_id,
        category=category,
        case_id=case_id,
        staff_named=(staff_named or "").strip()[:STAFF_NAME_MAX],
        body=text,
        created_at=now,
        due_at=deadlines.support_answer_due(now),
    )
    db.session.add(complaint)
    db.session.flush()
    return complaint


def customer_complaints(customer_id: int) -> list[Complaint]:
    return list(
        db.session.scalars(
            select(Complaint).where(Complaint.customer_id == customer_id).order_by(Complaint.id.desc())
        )
    )


def customer_complaint(customer_id: int, complaint_id: int) -> Complaint | None:
    return db.session.scalar(
        select(Complaint).where(Complaint.id == complaint_id, Complaint.customer_id == customer_id)
    )


def open_complaints() -> list[Complaint]:
    """Complaints waiting for an answer, the nearest deadline first."""
    return list(
        db.session.scalars(
            select(Complaint).where(Complaint.closed_at.is_(None)).order_by(Complaint.due_at, Complaint.id)
        )
    )


def close(complaint: Complaint, staff: StaffUser, answer: str, now: datetime) -> None:
    """Close with an answer text (SupportError "complaint_answer" without one); the caller commits."""
    if complaint.closed_at is not None:
        raise SupportError("complaint_closed")
    text = (answer or "").strip()
    if len(text) < ANSWER_MIN:
        raise SupportError("complaint_answer", min=ANSWER_MIN)
    if len(text) > MESSAGE_MAX:
        raise SupportError("too_long", limit=MESSAGE_MAX, length=len(text))
    complaint.answer, complaint.answered_by_id, complaint.closed_at = text, staff.id, now


def escalate_late(now: datetime) -> int:
    """Give each late complaint, once, to a senior."""
    late = db.session.scalars(
        select(Complaint).where(
            Complaint.closed_at.is_(None), Complaint.due_at < now, Complaint.escalated_at.is_(None)
        )
    ).all()
    for complaint in late:
        senior = pick_senior([])
        complaint.escalated_at = now
        if senior is not None:
            complaint.assigned_to_id = senior.id
    return len(late)
