"""退款进度: a case as its customer sees it — timeline nodes, the current deadline, the decision, the money
and what the customer may do now. Built from the case and its events; no request, no queries (except
`requested_item_labels`, which reads the policy version's texts).

Strings are rendered in the active Babel locale, so call inside a request or `force_locale`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from portal.cases import deadlines
from portal.cases.labels import (
    AMOUNT_LABELS,
    DEADLINE_CONSEQUENCES,
    DEADLINE_LABELS,
    OTHER_ITEM_LABEL,
    PARTLY_APPROVED,
    PARTLY_APPROVED_TEXT,
    STATE_LABELS,
    STATE_NOW,
    STEP_DONE,
    STEP_DONE_IN_APPEALED,
    STEP_LABELS,
    STEP_NEXT,
    STEP_SKIPPED,
    WAYS,
    WITHDRAWN_TEXT,
    reason_label,
)
from portal.cases.states import (
    CUSTOMER_STEPS,
    FINAL_STATES,
    CaseState,
    TimelineStep,
    customer_state,
    customer_step,
)
from portal.money import format_fen
from portal.orders.kinds import PaymentRoute
from portal.orders.labels import PAYMENT_ROUTE
from portal.policy.publishing import case_policy
from portal.policy.texts import policy_texts

_S = CaseState
# The review is still to be done: lateness lets the customer appeal.
REVIEW_WAITING: frozenset[CaseState] = frozenset({_S.SUBMITTED, _S.EVIDENCE_RECEIVED, _S.UNDER_REVIEW})
# Nothing changes these cases unless the customer acts on this very page: the page stops polling.
QUIET_STATES: frozenset[CaseState] = FINAL_STATES | {_S.REJECTED}
_DECISION_STATES = (_S.APPROVED, _S.REJECTED)
OTHER_ITEM = "other"
# The clock-hour promises the texts name (appeal_hours, payout_hours).
_HOURS = {f"{name}_hours": str(hours) for name, hours in deadlines.PROMISED_HOURS.items()}


class NodeStatus(StrEnum):
    DONE = "done"
    CURRENT = "current"
    NEXT = "next"
    SKIPPED = "skipped"  # passed over, e.g. an automatic approval needs no review


@dataclass(frozen=True)
class Node:
    key: str  # a TimelineStep value, or "withdrawn"
    status: NodeStatus
    label: str
    explanation: str
    at: datetime | None = None


@dataclass(frozen=True)
class Deadline:
    label: str
    at: datetime
    overdue: bool
    consequence: str = ""  # what happens when it passes


@dataclass(frozen=True)
class Decision:
    outcome: str  # approved, partial, rejected
    at: datetime | None
    reason: str  # the label of the reason code ('' when none)
    note: str  # the reviewer's words to the customer
    automatic: bool
    on_appeal: bool
    arbitration_reference: str = ""  # the arbitrator's case number, when the arbitrator decided


@dataclass(frozen=True)
class Progress:
    state: CaseState  # as the customer sees it (manual handling shows as executing)
    nodes: tuple[Node, ...]
    deadline: Deadline | None
    decision: Decision | None
    amount_fen: int
    amount_label: str
    partial: bool
    route: str
    arrival: tuple[datetime, datetime] | None  # expected (earliest, latest)
    refunded_at: datetime | None
    actions: frozenset[str]  # what the customer may do now: customer_actions.Action values
    evidence_request: str  # the reviewer's message when more evidence is asked for
    live: bool  # the page keeps polling
    overdue: bool


def build_progress(
    case: Any,
    events: Sequence[Any],
    now: datetime,
    item_labels: Sequence[str] = (),
    actions: frozenset[str] = frozenset(),
) -> Progress:
    """The customer's view of `case` (events in log order) as of `now` (naive UTC).

    `item_labels` describe the evidence a reviewer asked for (see `requested_item_labels`); `actions` are
    what the customer may do now, as customer_actions.permitted decides (none for a list of cases).
    """
    state = CaseState(case.state)
    moves = [e for e in events if e.to_state and e.from_state != e.to_state]
    entered = _entered_at(moves)
    decision = _decision(case, moves)
    params = _params(case, ", ".join(item_labels or case.requested_items or ()))
    overdue = review_overdue(case, now)
    return Progress(
        state=customer_state(state),
        nodes=tuple(_nodes(state, moves, entered, decision, params, case.appeal_of_id is not None)),
        deadline=_deadline(case, state, entered, now),
        decision=decision,
        amount_fen=_amount(case),
        amount_label=str(_amount_label(state, case)),
        partial=_partial(case),
        route=str(case.order.payment_route),
        arrival=_arrival(case, state, entered),
        refunded_at=entered.get(_S.REFUNDED) if state is _S.REFUNDED else None,
        actions=actions,
        evidence_request=_latest_reason(moves, _S.MORE_EVIDENCE) if state is _S.MORE_EVIDENCE else "",
        live=state not in QUIET_STATES,
        overdue=overdue,
    )


def review_due_at(case: Any) -> datetime | None:
    """The deadline of the review in progress (a re-review after an appeal has its own)."""
    return case.step_due_at or case.review_due_at


def review_overdue(case: Any, now: datetime) -> bool:
    """Whether the case is still waiting for its review and the deadline has passed."""
    due = review_due_at(case)
    return CaseState(case.state) in REVIEW_WAITING and due is not None and due < now


def requested_item_labels(case: Any, locale: str) -> list[str]:
    """What the reviewer asked for, in the words of the case's policy texts."""
    texts = policy_texts(case_policy(case), locale, str(case.order.category), str(case.refund_type))
    return [
        str(OTHER_ITEM_LABEL) if key == OTHER_ITEM else texts.describe(key)
        for key in case.requested_items or ()
    ]


# -- pieces ---------------------------------------------------------------------------------------------


def _entered_at(moves: Sequence[Any]) -> dict[CaseState, datetime]:
    """When the case last entered each state."""
    return {CaseState(e.to_state): e.at for e in moves}


def _step_times(moves: Sequence[Any]) -> dict[TimelineStep, datetime]:
    times: dict[TimelineStep, datetime] = {}
    for e in moves:
        step = customer_step(CaseState(e.to_state))
        if step is not None:
            times[step] = e.at
    return times


def _nodes(
    state: CaseState,
    moves: Sequence[Any],
    entered: Mapping[CaseState, datetime],
    decision: Decision | None,
    params: Mapping[str, str],
    linked_appeal: bool = False,
) -> list[Node]:
    times = _step_times(moves)
    if state is _S.WITHDRAWN:
        reached = [s for s in CUSTOMER_STEPS if s in times]
        nodes = [_done(step, times[step], decision, params) for step in reached]
        nodes.append(
            Node(
                "withdrawn",
                NodeStatus.CURRENT,
                str(STATE_LABELS[state]),
                str(WITHDRAWN_TEXT),
                entered.get(state),
            )
        )
        return nodes
    current = customer_step(state)
    index = CUSTOMER_STEPS.index(current)
    nodes = []
    for i, step in enumerate(CUSTOMER_STEPS):
        if i < index or state is _S.REFUNDED:
            if step in times:
                nodes.append(_done(step, times[step], decision, params))
            elif linked_appeal and i < CUSTOMER_STEPS.index(TimelineStep.DECISION):
                nodes.append(Node(step, NodeStatus.DONE, str(STEP_LABELS[step]), str(STEP_DONE_IN_APPEALED)))
            else:
                nodes.append(Node(step, NodeStatus.SKIPPED, str(STEP_LABELS[step]), str(STEP_SKIPPED)))
        elif i == index:
            nodes.append(_current(step, state, times.get(step), decision, params))
        elif state is not _S.REJECTED:  # a rejected request goes no further unless an appeal succeeds
            nodes.append(Node(step, NodeStatus.NEXT, str(STEP_LABELS[step]), str(STEP_NEXT[step]) % params))
    return nodes


def _done(step: TimelineStep, at: datetime, decision: Decision | None, params: Mapping[str, str]) -> Node:
    if step is TimelineStep.DECISION:
        label, text = _decision_texts(decision, params)
        return Node(step, NodeStatus.DONE, label, text, at)
    return Node(step, NodeStatus.DONE, str(STEP_LABELS[step]), str(STEP_DONE[step]) % params, at)


def _current(
    step: TimelineStep,
    state: CaseState,
    at: datetime | None,
    decision: Decision | None,
    params: Mapping[str, str],
) -> Node:
    if state in _DECISION_STATES and decision is not None:
        label, text = _decision_texts(decision, params)
        return Node(step, NodeStatus.CURRENT, label, text, at)
    shown = customer_state(state)
    text = str(STATE_NOW[shown]) % params
    return Node(step, NodeStatus.CURRENT, str(STATE_LABELS[shown]), text, at)


def _decision_texts(decision: Decision | None, params: Mapping[str, str]) -> tuple[str, str]:
    if decision is None:
        return str(STEP_LABELS[TimelineStep.DECISION]), ""
    if decision.outcome == "rejected":
        return str(STATE_LABELS[_S.REJECTED]), str(STATE_NOW[_S.REJECTED])
    if decision.outcome == "partial":
        return str(PARTLY_APPROVED), str(PARTLY_APPROVED_TEXT) % params
    return str(STATE_LABELS[_S.APPROVED]), str(STATE_NOW[_S.APPROVED]) % params


def _decision(case: Any, moves: Sequence[Any]) -> Decision | None:
    """The latest approval or rejection, as the customer is told it."""
    event = next((e for e in reversed(moves) if e.to_state in _DECISION_STATES), None)
    if event is None:
        return None
    data = event.data or {}
    automatic = bool(data.get("automatic"))
    if event.to_state == _S.REJECTED:
        outcome = "rejected"
    else:
        partial = data.get("partial", _partial(case))  # staff record it; older events may not
        outcome = "partial" if partial else "approved"
    # The latest decision is the case's own: its recorded reason code stands in for older event data.
    code = data.get("reason_code") or case.decision_reason_code or ("platform_record" if automatic else None)
    if data.get("arbitration") and outcome == "rejected":
        code = "arbitration_outcome"
    return Decision(
        outcome=outcome,
        at=event.at,
        reason=reason_label(code),
        # An automatic decision's reason is a clause id for the log, not words for the customer.
        note="" if automatic else (event.reason or ""),
        automatic=automatic,
        on_appeal=event.from_state == _S.APPEALED,
        arbitration_reference=str((data.get("arbitration") or {}).get("reference") or ""),
    )


def _latest_reason(moves: Sequence[Any], state: CaseState) -> str:
    event = next((e for e in reversed(moves) if e.to_state == state), None)
    return (event.reason or "") if event is not None else ""


def _deadline(
    case: Any, state: CaseState, entered: Mapping[CaseState, datetime], now: datetime
) -> Deadline | None:
    kind, due = None, None
    if state in REVIEW_WAITING:
        kind, due = "review", review_due_at(case)
    elif state is _S.MORE_EVIDENCE:
        kind, due = "evidence", case.step_due_at
    elif state is _S.ARBITRATION:
        kind, due = "arbitration", case.step_due_at
    elif state is _S.APPEALED:
        appealed = entered.get(state)
        kind, due = "appeal", case.step_due_at or (deadlines.appeal_due(appealed) if appealed else None)
    elif state is _S.APPROVED:
        approved = case.decided_at or entered.get(state)
        kind, due = "payout", deadlines.payout_start_due(approved) if approved else None
    elif state in (_S.EXECUTING, _S.MANUAL):
        window = _arrival(case, state, entered)
        kind, due = "arrival", window[1] if window else None
    if kind is None or due is None:
        return None
    consequence = str(DEADLINE_CONSEQUENCES[kind]) % _HOURS
    return Deadline(str(DEADLINE_LABELS[kind]), due, due < now, consequence)


def _arrival(
    case: Any, state: CaseState, entered: Mapping[CaseState, datetime]
) -> tuple[datetime, datetime] | None:
    route = case.order.payment_route
    if state in (_S.EXECUTING, _S.MANUAL):
        started = entered.get(_S.EXECUTING)
        return deadlines.arrival_window(started, route) if started else None
    if state is _S.APPROVED:
        approved = case.decided_at or entered.get(state)
        # Not started yet: estimate from the latest start the rules allow.
        return deadlines.arrival_window(deadlines.payout_start_due(approved), route) if approved else None
    return None


def _amount(case: Any) -> int:
    return case.approved_fen if case.approved_fen is not None else case.requested_fen


def _partial(case: Any) -> bool:
    return case.approved_fen is not None and case.approved_fen < case.requested_fen


def _amount_label(state: CaseState, case: Any) -> Any:
    if state is _S.REFUNDED:
        return AMOUNT_LABELS["refunded"]
    if case.approved_fen is not None and state not in (_S.REJECTED, _S.WITHDRAWN):
        return AMOUNT_LABELS["approved"]
    return AMOUNT_LABELS["requested"]


def _params(case: Any, items: str) -> dict[str, str]:
    route = case.order.payment_route
    low, high = deadlines.ARRIVAL_WORKING_DAYS[route]
    return {
        "amount": format_fen(_amount(case)),
        "route": str(PAYMENT_ROUTE[route]),
        "way": str(WAYS["offline" if route == PaymentRoute.OFFLINE else "online"]),
        "items": items,
        "low": str(low),
        "high": str(high),
        **_HOURS,
    }
