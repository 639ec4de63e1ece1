"""Appeals (申诉): who answers one, and by when.

An appeal goes to a senior reviewer who took no part in the decision appealed against (neither
the one who decided nor the one the case was assigned to), the least loaded one first. It must
be answered within 24 hours (deadlines.appeal_due). An appeal against a partial approval is a case
of its own (cases.partial_appeal): the people behind the partly approved case are the ones left out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from portal.accounts.models import StaffRole, StaffUser
from portal.cases import deadlines
from portal.cases.auditlog import append_event
from portal.cases.events import CaseMove, case_moved
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import Actor, CaseState
from portal.extensions import db

ROUTED_ACTION = "appeal_routed"


def subscribe() -> None:
    """Called by the app factory: an appeal is routed in the move that makes it."""
    case_moved.connect(on_case_moved)


def on_case_moved(move: CaseMove) -> None:
    """Route a new appeal before the customer is told (the news names who answers by when)."""
    if move.to_state == CaseState.APPEALED:
        route_appeal(move.case, move.at)


def route_appeal(case: RefundCase, now: datetime) -> StaffUser | None:
    """Assign a just-appealed case to an eligible senior and set the 24-hour deadline (caller commits)."""
    decided = [case, case.appeal_of] if case.appeal_of_id is not None else [case]
    excluded = sorted({i for c in decided for i in (c.decided_by_id, c.assigned_to_id) if i is not None})
    senior = pick_senior(excluded)
    case.assigned_to_id = senior.id if senior else None
    case.step_due_at = deadlines.appeal_due(now)
    append_event(
        case,
        ROUTED_ACTION,
        Actor.SYSTEM,
        None,
        case.state,
        case.state,
        data={"senior_id": case.assigned_to_id, "excluded": excluded, "due": case.step_due_at.isoformat()},
    )
    return senior


def pick_senior(excluded: list[int]) -> StaffUser | None:
    """The active senior (admins only if no senior is free) with the fewest open cases assigned."""
    for role in (StaffRole.SENIOR, StaffRole.ADMIN):
        load = (
            select(func.count(RefundCase.id))
            .where(RefundCase.assigned_to_id == StaffUser.id, RefundCase.is_open.is_(True))
            .scalar_subquery()
        )
        senior = db.session.scalar(
            select(StaffUser)
            .where(StaffUser.role == role, StaffUser.active.is_(True), StaffUser.id.not_in(excluded))
            .order_by(load, StaffUser.id)
            .limit(1)
        )
        if senior is not None:
            return senior
    return None


def excluded_from_appeal(case: RefundCase) -> set[int]:
    """Staff who may not answer the case's current appeal (those behind the decision appealed)."""
    data = db.session.scalar(
        select(CaseEvent.data)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == ROUTED_ACTION)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    excluded = set((data or {}).get("excluded", []))
    if case.decided_by_id is not None:
        excluded.add(case.decided_by_id)
    return excluded
