"""Staff decisions on refund cases.

Every decision is one transaction: check the version the reviewer saw, change the case, move it
through the state machine (cases.services.move logs and announces it), commit. The version is the
optimistic lock: when the case changed since the form was rendered (another reviewer decided, the
customer withdrew) — or changes between our read and our write (StaleDataError) — nothing is
written and DecisionError("stale") says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import StaffRole, StaffUser
from portal.accounts.roles import REVIEW_ROLES, SENIOR_ROLES
from portal.cases import deadlines, partial_appeal, states
from portal.cases.auditlog import append_event
from portal.cases.labels import REJECT_REASONS
from portal.cases.models import RefundCase
from portal.cases.services import CaseError, move, order_ledger
from portal.cases.states import Actor, CaseState, IllegalTransition
from portal.clock import utcnow
from portal.extensions import db
from portal.staff.appeals import excluded_from_appeal

# States a reviewer's "claim" or first decision takes out of the automatic pipeline.
INTAKE_STATES = (CaseState.SUBMITTED, CaseState.EVIDENCE_RECEIVED)
# States in which only a senior acts.
SENIOR_STATES = (CaseState.APPEALED, CaseState.ARBITRATION)
OTHER_ITEM = "other"
# The log's name for moves a decision makes on its way (not announced to the customer).
INTAKE_ACTION = "review_intake"


class DecisionError(ValueError):
    """A decision was refused; `.code` is a key of labels.DECISION_ERRORS, `.params` fill it in."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Approval:
    amount_fen: int | None  # None: in full
    note: str = ""


@dataclass(frozen=True)
class Rejection:
    reason_code: str
    note: str


@dataclass(frozen=True)
class EvidenceRequest:
    items: tuple[str, ...]
    message: str


def decision_cap(case: RefundCase) -> int:
    """The most a decision may approve: what the customer asked for, within what the order can still give
    back (its ledger, this case's own claim left out). Payout scheduling checks it again under the order's
    row lock, so a race cannot take the order past what was paid. An appeal against a partial approval is
    also held to what the rule still grants on the order (cases.partial_appeal.grantable_fen)."""
    if case.appeal_of_id is not None:
        return partial_appeal.grantable_fen(case)
    return max(0, min(case.requested_fen, order_ledger(case.order, excluding_case_id=case.id).remaining_fen))


def decide(case: RefundCase, version: int, change: Callable[[], None]) -> RefundCase:
    """Apply `change` to the case as one version-checked transaction; raises DecisionError."""
    if case.version != version:
        raise DecisionError("stale")
    try:
        change()
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise DecisionError("stale") from exc
    except IllegalTransition as exc:
        db.session.rollback()
        raise DecisionError("not_allowed") from exc
    except DecisionError:
        db.session.rollback()
        raise
    except CaseError as exc:
        # Scheduling the payout found, under the order's lock, that less remains than the form allowed.
        db.session.rollback()
        if "remaining_fen" in exc.params:
            raise DecisionError("amount_over_cap", cap=exc.params["remaining_fen"]) from exc
        raise DecisionError("not_allowed") from exc
    return case


# -- who may act -----------------------------------------------------------------------------------


def check_may_act(case: RefundCase, staff: StaffUser) -> None:
    """Raise unless this staff member may decide the case in its current state."""
    if not staff.has_role(*REVIEW_ROLES):
        raise DecisionError("senior_only")
    state = CaseState(case.state)
    if state in SENIOR_STATES and not staff.has_role(*SENIOR_ROLES):
        raise DecisionError("senior_only")
    if state is CaseState.APPEALED and staff.id in excluded_from_appeal(case):
        raise DecisionError("own_decision")


def may_act(case: RefundCase, staff: StaffUser) -> bool:
    """Whether `check_may_act` would pass (for showing or hiding the decision forms)."""
    try:
        check_may_act(case, staff)
    except DecisionError:
        return False
    return True


def available_actions(case: RefundCase, staff: StaffUser) -> frozenset[str]:
    """The actions the review page offers this staff member on the case as it is now."""
    state = CaseState(case.state)
    actions: set[str] = set()
    if staff.has_role(*SENIOR_ROLES) and state in (*INTAKE_STATES, CaseState.UNDER_REVIEW, *SENIOR_STATES):
        actions.add("assign")
    if not may_act(case, staff):
        return frozenset(actions)
    if state in (*INTAKE_STATES, CaseState.UNDER_REVIEW):
        actions |= {"approve", "reject", "request_evidence", "escalate"}
        if not case.green_channel:
            actions.add("green_channel")
    elif state is CaseState.APPEALED:
        actions |= {"approve", "reject"}
        if case.appeal_of_id is None:  # an appeal against a partial approval is answered, not re-reviewed
            actions.add("return_to_review")
    elif state is CaseState.ARBITRATION:
        actions.add("arbitration_outcome")
    if state in (*INTAKE_STATES, CaseState.UNDER_REVIEW, *SENIOR_STATES) and case.assigned_to_id != staff.id:
        actions.add("claim")
    return frozenset(actions)


def assignable_staff(case: RefundCase) -> list[StaffUser]:
    """Who a senior may hand the case to."""
    roles = (
        [StaffRole.SENIOR]
        if CaseState(case.state) in SENIOR_STATES
        else [StaffRole.REVIEWER, StaffRole.SENIOR]
    )
    people = db.session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role.in_(roles)).order_by(StaffUser.id)
    ).all()
    if CaseState(case.state) is CaseState.APPEALED:
        excluded = excluded_from_appeal(case)
        people = [p for p in people if p.id not in excluded]
    return list(people)


# -- moves -----------------------------------------------------------------------------------------


def _take_into_review(case: RefundCase, staff: StaffUser, announce: bool = False) -> None:
    """A case still in intake enters review (责任方判定) by this staff member's hand.

    Only a claim announces it: a decision made straight away tells the customer the decision alone,
    not "under review" and the outcome in the same minute.
    """
    action = None if announce else INTAKE_ACTION
    if CaseState(case.state) is CaseState.SUBMITTED:
        if states.can_transition(CaseState.SUBMITTED, CaseState.UNDER_REVIEW, Actor.STAFF):
            move(case, CaseState.UNDER_REVIEW, Actor.STAFF, staff.id, action=action)
            return
        # Nothing to upload was required; the intake step is passed on the customer's behalf.
        move(
            case,
            CaseState.EVIDENCE_RECEIVED,
            Actor.SYSTEM,
            None,
            data={"files": [], "no_evidence": True},
            action=INTAKE_ACTION,
        )
    if CaseState(case.state) is CaseState.EVIDENCE_RECEIVED:
        move(case, CaseState.UNDER_REVIEW, Actor.STAFF, staff.id, action=action)


def _record_decision(case: RefundCase, staff: StaffUser, code: str | None, note: str) -> None:
    case.decided_by_id = staff.id
    case.decided_at = utcnow()
    case.decision_reason_code = code
    case.decision_note = note


def claim(case: RefundCase, version: int, staff: StaffUser) -> RefundCase:
    """Take the case: it enters review if it had not, and is assigned to `staff`."""

    def change() -> None:
        check_may_act(case, staff)
        if CaseState(case.state) not in (*INTAKE_STATES, CaseState.UNDER_REVIEW, *SENIOR_STATES):
            raise DecisionError("not_allowed")
        _take_into_review(case, staff, announce=True)
        _assign(case, staff, staff, "claimed")

    return decide(case, version, change)


def assign(case: RefundCase, version: int, staff: StaffUser, assignee_id: int) -> RefundCase:
    """A senior hands the case to someone (for an appeal: someone not behind the first decision)."""

    def change() -> None:
        if not staff.has_role(*SENIOR_ROLES):
            raise DecisionError("senior_only")
        if not states.is_open(CaseState(case.state)):
            raise DecisionError("not_allowed")
        assignee = next((p for p in assignable_staff(case) if p.id == assignee_id), None)
        if assignee is None:
            raise DecisionError("bad_assignee")
        _assign(case, staff, assignee, "assigned")

    return decide(case, version, change)


def _assign(case: RefundCase, staff: StaffUser, assignee: StaffUser, action: str) -> None:
    previous = case.assigned_to_id
    case.assigned_to_id = assignee.id
    append_event(
        case,
        action,
        Actor.STAFF,
        staff.id,
        case.state,
        case.state,
        data={"from": previous, "to": assignee.id},
    )


def approve(case: RefundCase, version: int, staff: StaffUser, approval: Approval) -> RefundCase:
    """Approve in full (amount None) or partially (0 < amount ≤ decision_cap); answers an appeal too."""

    def change() -> None:
        check_may_act(case, staff)
        appeal = CaseState(case.state) is CaseState.APPEALED
        if CaseState(case.state) is CaseState.ARBITRATION:
            raise DecisionError("not_allowed")
        _take_into_review(case, staff)
        amount = _checked_amount(case, approval.amount_fen)
        _record_decision(case, staff, None, approval.note)
        case.approved_fen = amount
        case.requested_items = []
        case.final_decision = appeal  # an answered appeal is the last word on this request
        move(
            case,
            CaseState.APPROVED,
            Actor.STAFF,
            staff.id,
            reason=approval.note,
            data={"amount_fen": amount, "partial": amount < case.requested_fen, "appeal": appeal},
        )

    return decide(case, version, change)


def _checked_amount(case: RefundCase, amount_fen: int | None) -> int:
    cap = decision_cap(case)
    amount = cap if amount_fen is None else amount_fen
    if amount <= 0:
        raise DecisionError("amount_not_positive")
    if amount > cap:
        raise DecisionError("amount_over_cap", cap=cap)
    return amount


def reject(case: RefundCase, version: int, staff: StaffUser, rejection: Rejection) -> RefundCase:
    """Reject with a reason from the list and a text the customer sees; answers an appeal too."""

    def change() -> None:
        check_may_act(case, staff)
        if rejection.reason_code not in REJECT_REASONS:
            raise DecisionError("bad_reason")
        if CaseState(case.state) is CaseState.ARBITRATION:
            raise DecisionError("not_allowed")
        appeal = CaseState(case.state) is CaseState.APPEALED
        _take_into_review(case, staff)
        _record_decision(case, staff, rejection.reason_code, rejection.note)
        case.approved_fen = None
        case.requested_items = []
        case.final_decision = appeal
        move(
            case,
            CaseState.REJECTED,
            Actor.STAFF,
            staff.id,
            reason=rejection.note,
            data={"reason_code": rejection.reason_code, "appeal": appeal},
        )

    return decide(case, version, change)


def request_evidence(
    case: RefundCase, version: int, staff: StaffUser, request: EvidenceRequest, allowed_items: set[str]
) -> RefundCase:
    """Ask for more evidence (补充材料): checklist items and a message; due in 3 working days."""

    def change() -> None:
        check_may_act(case, staff)
        if not request.items or not set(request.items) <= allowed_items | {OTHER_ITEM}:
            raise DecisionError("bad_items")
        _take_into_review(case, staff)
        now = utcnow()
        case.requested_items = list(request.items)
        case.decision_note = request.message
        case.step_due_at = deadlines.more_evidence_due(now)
        move(
            case,
            CaseState.MORE_EVIDENCE,
            Actor.STAFF,
            staff.id,
            reason=request.message,
            data={"items": list(request.items)},
        )

    return decide(case, version, change)


def escalate(case: RefundCase, version: int, staff: StaffUser, note: str) -> RefundCase:
    """Send an unclear case to third-party arbitration (第三方仲裁)."""

    def change() -> None:
        check_may_act(case, staff)
        _take_into_review(case, staff)
        # The arbitrator keeps their own time; the customer is shown when to expect the outcome.
        case.step_due_at = deadlines.arbitration_due(utcnow())
        move(case, CaseState.ARBITRATION, Actor.STAFF, staff.id, reason=note, data={"note": note})

    return decide(case, version, change)


def record_arbitration(
    case: RefundCase,
    version: int,
    staff: StaffUser,
    reference: str,
    approval: Approval | None,
    note: str,
) -> RefundCase:
    """Record the arbitrator's outcome: an approval with its amount, or a rejection (approval None)."""

    def change() -> None:
        check_may_act(case, staff)
        if CaseState(case.state) is not CaseState.ARBITRATION:
            raise DecisionError("not_allowed")
        arbitration = {"reference": reference, "outcome": "approved" if approval else "rejected"}
        case.final_decision = True  # the arbitrator's outcome is final
        if approval is None:
            _record_decision(case, staff, "arbitration_outcome", note)
            case.approved_fen = None
            move(
                case,
                CaseState.REJECTED,
                Actor.STAFF,
                staff.id,
                reason=note,
                data={"arbitration": arbitration},
            )
            return
        amount = _checked_amount(case, approval.amount_fen)
        _record_decision(case, staff, None, note)
        case.approved_fen = amount
        move(
            case,
            CaseState.APPROVED,
            Actor.STAFF,
            staff.id,
            reason=note,
            data={"arbitration": arbitration, "amount_fen": amount, "partial": amount < case.requested_fen},
        )

    return decide(case, version, change)


def return_to_review(case: RefundCase, version: int, staff: StaffUser, note: str) -> RefundCase:
    """Answer an appeal by sending the case back for a fresh review, due within one working day."""

    def change() -> None:
        check_may_act(case, staff)
        if CaseState(case.state) is not CaseState.APPEALED or case.appeal_of_id is not None:
            raise DecisionError("not_allowed")
        now = utcnow()
        case.assigned_to_id = None
        case.step_due_at = deadlines.re_review_due(now)
        case.overdue_notified_at = None  # the new review has its own deadline, watched like the first
        move(case, CaseState.UNDER_REVIEW, Actor.STAFF, staff.id, reason=note, data={"appeal": True})

    return decide(case, version, change)


def mark_urgent(case: RefundCase, version: int, staff: StaffUser) -> RefundCase:
    """Put the case in the green channel (绿色通道): it goes first and is due within one working day."""

    def change() -> None:
        check_may_act(case, staff)
        if not states.is_open(CaseState(case.state)) or case.green_channel:
            raise DecisionError("not_allowed")
        due = deadlines.green_channel_review_due(case.created_at)
        case.urgent = True
        case.green_channel = True
        if case.review_due_at is None or due < case.review_due_at:
            if case.step_due_at == case.review_due_at:
                case.step_due_at = due
            case.review_due_at = due
        append_event(
            case, "green_channel", Actor.STAFF, staff.id, case.state, case.state, data={"due": str(due)}
        )

    return decide(case, version, change)


def overdue_by(case: RefundCase, now) -> timedelta | None:
    """How late the case's current step is, or None when it is not late."""
    due = case.step_due_at or case.review_due_at
    if due is None or due >= now:
        return None
    return now - due
