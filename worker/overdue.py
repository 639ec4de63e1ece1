"""The review-deadline watch: a case not decided in time tells its customer they may appeal."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.cases.auditlog import append_event
from portal.cases.models import RefundCase
from portal.cases.progress import REVIEW_WAITING, review_overdue
from portal.cases.services import announce
from portal.cases.states import Actor
from portal.extensions import db

OVERDUE_ACTION = "review_overdue"


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
