"""The deadline watch: a case not decided in time tells its customer they may appeal; a request for more
evidence that gets no answer in time returns the case to review on what is there, and the customer is told."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.cases import deadlines
from portal.cases.auditlog import append_event
from portal.cases.models import RefundCase
from portal.cases.progress import REVIEW_WAITING, review_overdue
from portal.cases.services import announce, move
from portal.cases.states import Actor, CaseState
from portal.extensions import db

OVERDUE_ACTION = "review_overdue"
EVIDENCE_LAPSED_ACTION = "evidence_deadline_passed"


def notify_overdue_reviews(now: datetime, limit: int = 500) -> int:
    """Log and announce every late review not yet announced; returns how many customers were told."""
    due = func.coalesce(RefundCase.step_due_at, RefundCase.review_due_at)
    ids = db.session.scalars(
        select(RefundCase.id)
        .where(
            RefundCase.is_open.is_(True),
            RefundCase.state.in_(REVIEW_WAITING),
            RefundCase.overdue_notified_at.is_(None),
            due < now,
        )
        .order_by(RefundCase.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(_notify_one(case_id, now) for case_id in ids)


def _notify_one(case_id: int, now: datetime) -> bool:
    case = db.session.get(RefundCase, case_id)
    if case is None or case.overdue_notified_at is not None or not review_overdue(case, now):
        db.session.rollback()
        return False
    case.overdue_notified_at = now
    case.updated_at = now  # the progress page now offers an appeal
    due = case.step_due_at or case.review_due_at
    append_event(
        case, OVERDUE_ACTION, Actor.SYSTEM, None, case.state, case.state, data={"due": due.isoformat()}
    )
    announce(case, "overdue")
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()  # a reviewer decided at this very moment: nothing is late any more
        return False
    return True


def return_lapsed_evidence_requests(now: datetime, limit: int = 500) -> int:
    """Cases whose evidence deadline passed go back to review on what was sent; returns how many."""
    ids = db.session.scalars(
        select(RefundCase.id)
        .where(RefundCase.state == CaseState.MORE_EVIDENCE, RefundCase.step_due_at < now)
        .order_by(RefundCase.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(_return_one(case_id, now) for case_id in ids)


def _return_one(case_id: int, now: datetime) -> bool:
    case = db.session.get(RefundCase, case_id)
    waiting = case is not None and case.state == CaseState.MORE_EVIDENCE and case.step_due_at is not None
    if not waiting or case.step_due_at >= now:
        db.session.rollback()
        return False
    lapsed = case.step_due_at
    due = deadlines.resumed_review_due(now)
    case.review_due_at = case.step_due_at = due
    case.overdue_notified_at = None
    # The same move a customer's upload makes, by the system: the reviewer takes it from what is there.
    move(
        case,
        CaseState.EVIDENCE_RECEIVED,
        Actor.SYSTEM,
        None,
        data={"lapsed": lapsed.isoformat(), "due": due.isoformat(), "files": []},
        action=EVIDENCE_LAPSED_ACTION,
    )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()  # the customer uploaded at this very moment: nothing lapsed
        return False
    return True
