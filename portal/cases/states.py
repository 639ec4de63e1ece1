"""The refund case state machine: states, who may move a case where, and the customer timeline.

Guards that depend on data (is the review overdue? is the appeal window still open? is the
risk flag set?) are the caller's job; this module only knows which moves exist and which
kind of actor may make them.
"""

from collections.abc import Mapping
from enum import StrEnum


class CaseState(StrEnum):
    SUBMITTED = "submitted"  # 已提交
    EVIDENCE_RECEIVED = "evidence_received"  # 已接收凭证
    UNDER_REVIEW = "under_review"  # 责任方判定
    MORE_EVIDENCE = "more_evidence"  # 待补充材料
    APPROVED = "approved"  # 审核通过 (full or partial is data on the case)
    REJECTED = "rejected"  # 已驳回
    ARBITRATION = "arbitration"  # 第三方仲裁
    APPEALED = "appealed"  # 申诉中
    EXECUTING = "executing"  # 退款执行中
    REFUNDED = "refunded"  # 已退款
    WITHDRAWN = "withdrawn"  # 已撤回
    MANUAL = "manual"  # 人工处理: payout failed after retries; customers see it as executing


class Actor(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


class TimelineStep(StrEnum):
    """Nodes of the customer's progress timeline (退款进度)."""

    SUBMITTED = "submitted"
    EVIDENCE_RECEIVED = "evidence_received"
    UNDER_REVIEW = "under_review"
    DECISION = "decision"  # 审核通过 / 已驳回 / 第三方仲裁 / 申诉中
    EXECUTING = "executing"
    REFUNDED = "refunded"


class IllegalTransition(ValueError):
    """A move that the state machine does not allow for this actor."""

    def __init__(self, current: CaseState, target: CaseState, actor: Actor) -> None:
        super().__init__(f"{actor} may not move a case from {current} to {target}")
        self.current = current
        self.target = target
        self.actor = actor


_S = CaseState
_C, _ST, _SY = Actor.CUSTOMER, Actor.STAFF, Actor.SYSTEM

# (from, to) -> actor kinds allowed to make the move.
TRANSITIONS: Mapping[tuple[CaseState, CaseState], frozenset[Actor]] = {
    (_S.SUBMITTED, _S.EVIDENCE_RECEIVED): frozenset({_SY}),
    (_S.EVIDENCE_RECEIVED, _S.UNDER_REVIEW): frozenset({_SY, _ST}),
    # Automatic review decides standard cases before a human ever looks at them.
    (_S.SUBMITTED, _S.APPROVED): frozenset({_SY}),
    (_S.EVIDENCE_RECEIVED, _S.APPROVED): frozenset({_SY}),
    (_S.UNDER_REVIEW, _S.APPROVED): frozenset({_ST}),
    (_S.UNDER_REVIEW, _S.REJECTED): frozenset({_ST}),
    (_S.UNDER_REVIEW, _S.MORE_EVIDENCE): frozenset({_ST}),
    (_S.UNDER_REVIEW, _S.ARBITRATION): frozenset({_ST}),
    # The upload is the customer's act even when a job records it, so both kinds are accepted.
    (_S.MORE_EVIDENCE, _S.EVIDENCE_RECEIVED): frozenset({_C, _SY}),
    (_S.ARBITRATION, _S.APPROVED): frozenset({_ST}),
    (_S.ARBITRATION, _S.REJECTED): frozenset({_ST}),
    (_S.REJECTED, _S.APPEALED): frozenset({_C}),
    # Only when the review deadline has passed; the caller checks that.
    (_S.UNDER_REVIEW, _S.APPEALED): frozenset({_C}),
    (_S.APPEALED, _S.APPROVED): frozenset({_ST}),
    (_S.APPEALED, _S.REJECTED): frozenset({_ST}),
    (_S.APPEALED, _S.UNDER_REVIEW): frozenset({_ST}),
    # Staff start and confirm offline (bank transfer) payouts by hand.
    (_S.APPROVED, _S.EXECUTING): frozenset({_SY, _ST}),
    (_S.EXECUTING, _S.REFUNDED): frozenset({_SY, _ST}),
    (_S.EXECUTING, _S.MANUAL): frozenset({_SY}),
    (_S.MANUAL, _S.EXECUTING): frozenset({_ST}),
    (_S.MANUAL, _S.REFUNDED): frozenset({_ST}),
    (_S.SUBMITTED, _S.WITHDRAWN): frozenset({_C}),
    (_S.EVIDENCE_RECEIVED, _S.WITHDRAWN): frozenset({_C}),
    (_S.UNDER_REVIEW, _S.WITHDRAWN): frozenset({_C}),
    (_S.MORE_EVIDENCE, _S.WITHDRAWN): frozenset({_C}),
}

FINAL_STATES: frozenset[CaseState] = frozenset({_S.REFUNDED, _S.WITHDRAWN})

# Open = still needs someone to act. A rejected case is NOT open even though the customer may
# still appeal it: an appeal re-opens it (rejected -> appealed), so queues and "one open case
# per order" checks can ignore rejected cases.
OPEN_STATES: frozenset[CaseState] = frozenset(CaseState) - {_S.REFUNDED, _S.WITHDRAWN, _S.REJECTED}

WITHDRAWABLE_STATES: frozenset[CaseState] = frozenset(
    src for (src, dst), actors in TRANSITIONS.items() if dst is _S.WITHDRAWN and Actor.CUSTOMER in actors
)

CUSTOMER_STEPS: tuple[TimelineStep, ...] = tuple(TimelineStep)

_STEP_OF_STATE: Mapping[CaseState, TimelineStep] = {
    _S.SUBMITTED: TimelineStep.SUBMITTED,
    _S.EVIDENCE_RECEIVED: TimelineStep.EVIDENCE_RECEIVED,
    _S.UNDER_REVIEW: TimelineStep.UNDER_REVIEW,
    _S.MORE_EVIDENCE: TimelineStep.UNDER_REVIEW,
    _S.APPROVED: TimelineStep.DECISION,
    _S.REJECTED: TimelineStep.DECISION,
    _S.ARBITRATION: TimelineStep.DECISION,
    _S.APPEALED: TimelineStep.DECISION,
    _S.EXECUTING: TimelineStep.EXECUTING,
    _S.MANUAL: TimelineStep.EXECUTING,
    _S.REFUNDED: TimelineStep.REFUNDED,
}


def can_transition(current: CaseState, target: CaseState, actor: Actor) -> bool:
    """Whether this actor kind may move a case from `current` to `target`."""
    return Actor(actor) in TRANSITIONS.get((CaseState(current), CaseState(target)), frozenset())


def transition(current: CaseState, target: CaseState, actor: Actor) -> CaseState:
    """Return `target` if the move is allowed, else raise IllegalTransition."""
    current, target, actor = CaseState(current), CaseState(target), Actor(actor)
    if not can_transition(current, target, actor):
        raise IllegalTransition(current, target, actor)
    return target


def is_open(state: CaseState) -> bool:
    """True while the case still needs someone to act (see OPEN_STATES)."""
    return state in OPEN_STATES


def customer_state(state: CaseState) -> CaseState:
    """The state a customer is shown: manual handling is an internal detail of executing."""
    return _S.EXECUTING if state == _S.MANUAL else CaseState(state)


def customer_step(state: CaseState) -> TimelineStep | None:
    """The timeline node a state belongs to; None for a withdrawn case (it left the timeline)."""
    return _STEP_OF_STATE.get(state)
