"""The case state machine: legal moves per actor kind, final/open states, the customer timeline."""

import pytest

from portal.cases.states import (
    CUSTOMER_STEPS,
    FINAL_STATES,
    OPEN_STATES,
    TRANSITIONS,
    WITHDRAWABLE_STATES,
    Actor,
    CaseState,
    IllegalTransition,
    TimelineStep,
    can_transition,
    customer_state,
    customer_step,
    is_open,
    transition,
)

S, A = CaseState, Actor


def targets(current: CaseState, actor: Actor) -> set[CaseState]:
    """States this actor kind may move a case to from `current`, read off the table."""
    return {dst for (src, dst), actors in TRANSITIONS.items() if src is current and actor in actors}

LEGAL = [
    (S.SUBMITTED, S.EVIDENCE_RECEIVED, A.SYSTEM),
    (S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, A.SYSTEM),
    (S.SUBMITTED, S.APPROVED, A.SYSTEM),
    (S.EVIDENCE_RECEIVED, S.APPROVED, A.SYSTEM),
    (S.UNDER_REVIEW, S.APPROVED, A.STAFF),
    (S.UNDER_REVIEW, S.REJECTED, A.STAFF),
    (S.UNDER_REVIEW, S.MORE_EVIDENCE, A.STAFF),
    (S.UNDER_REVIEW, S.ARBITRATION, A.STAFF),
    (S.MORE_EVIDENCE, S.EVIDENCE_RECEIVED, A.CUSTOMER),
    (S.ARBITRATION, S.APPROVED, A.STAFF),
    (S.ARBITRATION, S.REJECTED, A.STAFF),
    (S.REJECTED, S.APPEALED, A.CUSTOMER),
    (S.UNDER_REVIEW, S.APPEALED, A.CUSTOMER),
    (S.APPEALED, S.APPROVED, A.STAFF),
    (S.APPEALED, S.REJECTED, A.STAFF),
    (S.APPEALED, S.UNDER_REVIEW, A.STAFF),
    (S.APPROVED, S.EXECUTING, A.SYSTEM),
    (S.EXECUTING, S.REFUNDED, A.SYSTEM),
    (S.EXECUTING, S.MANUAL, A.SYSTEM),
    (S.MANUAL, S.EXECUTING, A.STAFF),
    (S.MANUAL, S.REFUNDED, A.STAFF),
    (S.SUBMITTED, S.WITHDRAWN, A.CUSTOMER),
    (S.EVIDENCE_RECEIVED, S.WITHDRAWN, A.CUSTOMER),
    (S.UNDER_REVIEW, S.WITHDRAWN, A.CUSTOMER),
    (S.MORE_EVIDENCE, S.WITHDRAWN, A.CUSTOMER),
]

ILLEGAL = [
    (S.UNDER_REVIEW, S.APPROVED, A.CUSTOMER),  # customers never decide
    (S.UNDER_REVIEW, S.APPROVED, A.SYSTEM),  # auto review acts before a human takes the case
    (S.SUBMITTED, S.REJECTED, A.SYSTEM),  # automatic review only approves
    (S.REJECTED, S.APPEALED, A.STAFF),  # an appeal is the customer's
    (S.APPROVED, S.WITHDRAWN, A.CUSTOMER),  # too late after a decision
    (S.ARBITRATION, S.WITHDRAWN, A.CUSTOMER),
    (S.REFUNDED, S.EXECUTING, A.STAFF),
    (S.WITHDRAWN, S.SUBMITTED, A.CUSTOMER),
    (S.EXECUTING, S.MANUAL, A.STAFF),
    (S.SUBMITTED, S.UNDER_REVIEW, A.SYSTEM),  # evidence first
    (S.APPROVED, S.REFUNDED, A.SYSTEM),  # money moves only through executing
    (S.MORE_EVIDENCE, S.APPROVED, A.STAFF),
]


@pytest.mark.parametrize(("current", "target", "actor"), LEGAL)
def test_legal_transitions_return_the_target(current, target, actor):
    assert transition(current, target, actor) is target
    assert can_transition(current, target, actor)


def test_the_table_is_exactly_the_documented_moves():
    documented = {(c, t) for c, t, _ in LEGAL}
    assert set(TRANSITIONS) == documented


@pytest.mark.parametrize(("current", "target", "actor"), ILLEGAL)
def test_illegal_transitions_raise(current, target, actor):
    with pytest.raises(IllegalTransition) as info:
        transition(current, target, actor)
    assert isinstance(info.value, ValueError)
    assert (info.value.current, info.value.target, info.value.actor) == (current, target, actor)
    assert not can_transition(current, target, actor)


def test_plain_strings_from_the_database_are_accepted():
    assert transition("under_review", "approved", "staff") is S.APPROVED
    assert can_transition("rejected", "appealed", "customer")
    with pytest.raises(ValueError):
        transition("under_review", "nonsense", "staff")


def test_moves_per_actor():
    assert targets(S.UNDER_REVIEW, A.STAFF) == {
        S.APPROVED,
        S.REJECTED,
        S.MORE_EVIDENCE,
        S.ARBITRATION,
    }
    assert targets(S.UNDER_REVIEW, A.CUSTOMER) == {S.APPEALED, S.WITHDRAWN}
    assert targets(S.SUBMITTED, A.SYSTEM) == {S.EVIDENCE_RECEIVED, S.APPROVED}
    assert targets(S.MORE_EVIDENCE, A.CUSTOMER) == {S.EVIDENCE_RECEIVED, S.WITHDRAWN}
    assert targets(S.APPROVED, A.CUSTOMER) == frozenset()


def test_final_states_have_no_way_out_and_every_other_state_has_one():
    for state in CaseState:
        way_out = set().union(*(targets(state, actor) for actor in Actor))
        assert bool(way_out) != (state in FINAL_STATES), state
    assert {S.REFUNDED, S.WITHDRAWN} == FINAL_STATES


def test_every_state_is_reachable_from_submitted():
    seen, frontier = {S.SUBMITTED}, [S.SUBMITTED]
    while frontier:
        state = frontier.pop()
        for src, dst in TRANSITIONS:
            if src is state and dst not in seen:
                seen.add(dst)
                frontier.append(dst)
    assert seen == set(CaseState)


def test_open_states_exclude_settled_and_rejected():
    assert set(CaseState) - {S.REFUNDED, S.WITHDRAWN, S.REJECTED} == OPEN_STATES
    assert is_open(S.MANUAL)
    assert is_open(S.APPEALED)
    assert not is_open(S.REJECTED)


def test_withdrawal_only_before_a_decision():
    assert {S.SUBMITTED, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.MORE_EVIDENCE} == WITHDRAWABLE_STATES


def test_customer_timeline_order_and_mapping():
    assert [str(s) for s in CUSTOMER_STEPS] == [
        "submitted",
        "evidence_received",
        "under_review",
        "decision",
        "executing",
        "refunded",
    ]
    assert customer_step(S.MORE_EVIDENCE) is TimelineStep.UNDER_REVIEW
    for decided in (S.APPROVED, S.REJECTED, S.ARBITRATION, S.APPEALED):
        assert customer_step(decided) is TimelineStep.DECISION
    assert customer_step(S.MANUAL) is TimelineStep.EXECUTING
    assert customer_step(S.WITHDRAWN) is None
    assert all(customer_step(s) is not None for s in CaseState if s is not S.WITHDRAWN)


def test_manual_handling_looks_like_executing_to_customers():
    assert customer_state(S.MANUAL) is S.EXECUTING
    assert customer_state("refunded") is S.REFUNDED
