"""What a customer may do on their own case — withdraw, appeal, send requested evidence back.

Plain functions with explicit arguments (no Flask request): the views validate the input, call them and
commit. Each raises IllegalTransition (or StaleDataError at flush) when the case changed meanwhile.
"""

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from portal.cases import deadlines, partial_appeal, progress, risk
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import move, open_case_for
from portal.cases.states import WITHDRAWABLE_STATES, Actor, CaseState
from portal.extensions import db

APPEAL_MIN, APPEAL_MAX = 5, 1000
# System moves that only carry a late case into review so it can be appealed: the customer is not told.
INTAKE_ACTION = "intake_for_appeal"
# A rejection from a review may be appealed; an appeal's answer and an arbitrator's ruling are final.
_APPEALABLE_FROM = frozenset({CaseState.SUBMITTED, CaseState.EVIDENCE_RECEIVED, CaseState.UNDER_REVIEW})


class Action(StrEnum):
    """What a customer may do on their own case."""

    ADD_EVIDENCE = "add_evidence"
    APPEAL = "appeal"
    WITHDRAW = "withdraw"


class MissingEvidence(Exception):
    """Not every item the reviewer asked for has a file added since the request."""


def case_events(case_id: int) -> list[CaseEvent]:
    """The case's log, oldest first."""
    return list(
        db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq))
    )


def allowed_actions(case: RefundCase, now: datetime) -> frozenset[Action]:
    """What the customer may do on the case now (reads its log and the order's other requests)."""
    return permitted(case, case_events(case.id), now, newer_case_open(case), partly_appealable(case))


def partly_appealable(case: RefundCase) -> bool:
    """Whether the customer may appeal the case's partial approval now (no query unless it was partial)."""
    return partial_appeal.partly_approved(case) and partial_appeal.may_appeal(case)


def permitted(
    case: Any,
    events: Sequence[Any],
    now: datetime,
    newer_case_open: bool = False,
    partly_appealable: bool = False,
) -> frozenset[Action]:
    """What the customer may do now: add evidence when asked, appeal when rejected, late or partly approved
    (`partly_appealable`, see cases.partial_appeal.may_appeal), withdraw.

    `events` is the case's log, oldest first. A rejected case whose order already has a newer open request
    cannot be appealed: one open case per order.
    """
    state = CaseState(case.state)
    actions = set()
    if state in WITHDRAWABLE_STATES:
        actions.add(Action.WITHDRAW)
    if state is CaseState.MORE_EVIDENCE:
        actions.add(Action.ADD_EVIDENCE)
    appealable = state is CaseState.REJECTED and _rejection_appealable(events) and not newer_case_open
    if progress.review_overdue(case, now) or appealable or partly_appealable:
        actions.add(Action.APPEAL)
    return frozenset(actions)


def _rejection_appealable(events: Sequence[Any]) -> bool:
    moves = (e for e in reversed(events) if e.to_state and e.from_state != e.to_state)
    event = next((e for e in moves if e.to_state == CaseState.REJECTED), None)
    return event is not None and event.from_state in _APPEALABLE_FROM


def newer_case_open(case: RefundCase) -> bool:
    """Whether the order has another open request (then this one cannot be reopened by an appeal)."""
    if case.is_open:
        return False  # one open case per order: no other can be open (and no query on every poll)
    open_now = open_case_for(case.order_id)
    return open_now is not None and open_now.id != case.id


def withdraw(case: RefundCase, customer_id: int, reason: str) -> None:
    """撤回: close the request before a decision."""
    move(case, CaseState.WITHDRAWN, Actor.CUSTOMER, customer_id, reason=reason)


def appeal(case: RefundCase, customer_id: int, text: str, now: datetime) -> RefundCase:
    """申诉: against a rejection, or because the review is late; routed to a senior reviewer.

    Against a partial approval, the appeal is a linked case for the part not granted (cases.partial_appeal;
    raises NotAppealable). Returns the case that carries the appeal.
    """
    if partial_appeal.partly_approved(case):
        return partial_appeal.open_appeal(case, customer_id, text, now)
    late = progress.review_overdue(case, now)
    _into_review_for_appeal(case)
    grounds = "late_review" if late else "disagree"
    move(case, CaseState.APPEALED, Actor.CUSTOMER, customer_id, reason=text, data={"grounds": grounds})
    return case


def _into_review_for_appeal(case: RefundCase) -> None:
    """A late case nobody has taken into review yet is moved there first (the state machine's path)."""
    if CaseState(case.state) is CaseState.SUBMITTED:
        move(case, CaseState.EVIDENCE_RECEIVED, Actor.SYSTEM, None, data={"files": []}, action=INTAKE_ACTION)
    if CaseState(case.state) is CaseState.EVIDENCE_RECEIVED:
        move(case, CaseState.UNDER_REVIEW, Actor.SYSTEM, None, action=INTAKE_ACTION)


def send_evidence_back(case: RefundCase, customer_id: int, now: datetime) -> None:
    """补充材料 done: back to review with a fresh deadline; raises MissingEvidence if an item lacks a file."""
    fresh = fresh_evidence(case)
    if set(case.requested_items or []) - {f.checklist_key for f in fresh}:
        raise MissingEvidence()
    due = max(case.review_due_at or now, deadlines.resumed_review_due(now))
    case.review_due_at = case.step_due_at = due
    case.overdue_notified_at = None
    risk.refresh_flags(case, now)  # the new files may be copies of another case's evidence
    move(
        case,
        CaseState.EVIDENCE_RECEIVED,
        Actor.CUSTOMER,
        customer_id,
        data={"files": [f.public_id for f in fresh], "due": due.isoformat()},
    )


def fresh_evidence(case: RefundCase) -> list:
    """The case's files added since the reviewer last asked for more: only these answer the request."""
    since = requested_at(case.id)
    return [f for f in case.evidence if f.removed_at is None and (since is None or f.uploaded_at >= since)]


def requested_at(case_id: int) -> datetime | None:
    """When the reviewer last asked for more evidence."""
    return db.session.scalar(
        select(CaseEvent.at)
        .where(
            CaseEvent.case_id == case_id,
            CaseEvent.to_state == CaseState.MORE_EVIDENCE.value,
            CaseEvent.from_state != CaseState.MORE_EVIDENCE.value,  # the request, not an upload after it
        )
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
