"""Automatic review: approve standard cases at once when the platform's own records prove them.

A case qualifies when the policy version it was opened under says so for this order (the rule
lists the order's delivery status among those that prove a platform-side failure, e.g. a game
card whose issuing system failed, a top-up the carrier reports as not credited) and no risk flag
is set. Anything else waits for a human; this job never rejects.

`review_case` is idempotent: it only acts on a case still waiting for review, so running it twice
(an outbox retry, the periodic sweep) decides a case at most once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import outbox
from portal.cases.auditlog import append_event
from portal.cases.events import case_opened
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import move
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.policy import engine
from portal.policy.facts import order_facts
from portal.policy.models import PolicyVersion
from portal.policy.publishing import published_version, ruleset_of

WAITING = (CaseState.SUBMITTED, CaseState.EVIDENCE_RECEIVED)
DECISION_CODE = "platform_record"
SKIP_ACTION = "auto_review_skipped"
# The sweep leaves fresh cases to the job their submission queued.
SWEEP_AFTER = timedelta(minutes=2)
# Older cases are a human's by now; the sweep stops looking at them.
SWEEP_HORIZON = timedelta(days=7)
ATTEMPTS = 3


def subscribe() -> None:
    """Called by the app factory: a newly opened case queues its own review when it may qualify."""
    case_opened.connect(queue_review)


def queue_review(case: RefundCase) -> None:
    """In the submitting transaction: queue the review of a case the platform's records may prove."""
    if case.auto_approvable and not case.risk_flags:
        outbox.add_job(review_case, case.id, case_id=case.id)


def review_case(case_id: int) -> str:
    """Decide one case if the records prove it; returns what happened (approved/flagged/manual/skipped)."""
    for _ in range(ATTEMPTS):
        try:
            outcome = _review_once(case_id)
            db.session.commit()
            return outcome
        except StaleDataError:
            # The customer acted at the same moment (uploaded, withdrew): look again.
            db.session.rollback()
    return "skipped"


def _review_once(case_id: int) -> str:
    case = db.session.get(RefundCase, case_id)
    if case is None or case.state not in WAITING:
        return "skipped"
    assessment = _assess(case)
    if not (assessment.eligible and assessment.auto_approvable):
        return "manual"
    if case.risk_flags:
        _note_skip_once(case, [f.get("code") for f in case.risk_flags])
        return "flagged"
    amount = min(case.requested_fen, assessment.suggested_fen, assessment.cap_fen)
    if amount <= 0:
        return "manual"
    now = utcnow()
    case.approved_fen = amount
    case.decision_reason_code = DECISION_CODE
    case.decided_at = now
    case.decided_by_id = None
    move(
        case,
        CaseState.APPROVED,
        Actor.SYSTEM,
        None,
        reason=f"auto:{assessment.clause}",
        data={
            "automatic": True,
            "clause": assessment.clause,
            "delivery_status": str(case.order.delivery_status),
            "policy_version": case.policy_version_id,
            "amount_fen": amount,
        },
    )
    return "approved"


def _assess(case: RefundCase) -> engine.Assessment:
    """The rules of the version the case was opened under, on the order as it is now."""
    version = db.session.get(PolicyVersion, case.policy_version_id) if case.policy_version_id else None
    rules = ruleset_of(version or published_version())
    # The case itself is the open case; it must not block its own assessment.
    return engine.assess(order_facts(case.order, has_open_case=False), case.refund_type, rules, utcnow())


def _note_skip_once(case: RefundCase, codes: list) -> None:
    """Log, once, that the records would have approved the case but a risk flag held it back."""
    seen = db.session.scalar(
        select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.action == SKIP_ACTION).limit(1)
    )
    if seen is None:
        append_event(
            case, SKIP_ACTION, Actor.SYSTEM, None, case.state, case.state, "risk flags", {"flags": codes}
        )


def sweep(limit: int = 200) -> int:
    """Review waiting auto-approvable cases whose job never ran (Redis was down); returns how many decided."""
    now = utcnow()
    held_back = select(CaseEvent.id).where(
        CaseEvent.case_id == RefundCase.id, CaseEvent.action == SKIP_ACTION
    )
    ids = db.session.scalars(
        select(RefundCase.id)
        .where(
            RefundCase.state.in_(WAITING),
            RefundCase.auto_approvable.is_(True),
            RefundCase.created_at <= now - SWEEP_AFTER,
            RefundCase.created_at >= now - SWEEP_HORIZON,
            ~held_back.exists(),
        )
        .order_by(RefundCase.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(review_case(case_id) == "approved" for case_id in ids)
