"""Opening refund cases and moving them through their states, each step logged and announced."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.cases import deadlines, events, risk, states
from portal.cases.auditlog import append_event
from portal.cases.events import CaseMove
from portal.cases.models import RefundCase
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.evidence.models import EvidenceFile
from portal.extensions import db
from portal.orders.ledger import Ledger
from portal.orders.models import Order
from portal.policy import engine
from portal.policy.facts import order_facts
from portal.policy.kinds import RefundType
from portal.policy.publishing import ensure_published_default, published_version, ruleset_of


class CaseError(ValueError):
    """A case could not be opened or changed; `.code` says why, `.params` fill its translated message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


# States in which a case's claim on the order is the amount approved (not yet paid back, or being paid).
APPROVED_CLAIM_STATES = frozenset({CaseState.APPROVED, CaseState.EXECUTING, CaseState.MANUAL})


@dataclass(frozen=True)
class CaseRequest:
    customer_id: int
    order_id: int
    refund_type: RefundType
    reason_text: str
    amount_fen: int
    idempotency_key: str
    evidence_ids: tuple[int, ...] = ()
    urgent: bool = False


# Asked by every order, wizard and 退款进度 page: the statements are built once.
_OPEN_CASE = select(RefundCase).where(
    RefundCase.order_id == bindparam("order_id"), RefundCase.is_open.is_(True)
)
_OPEN_OR_FINAL = select(
    RefundCase.order_id, RefundCase.id, RefundCase.refund_type, RefundCase.is_open, RefundCase.final_decision
).where(
    RefundCase.order_id.in_(bindparam("order_ids", expanding=True)),
    or_(RefundCase.is_open.is_(True), RefundCase.final_decision.is_(True)),
)


@dataclass(frozen=True)
class OrderCases:
    """What an order's cases mean for a new request: its open case, the types decided for good (arbitration,
    an answered appeal)."""

    open_case_id: int | None = None
    finally_decided: frozenset[RefundType] = frozenset()


NO_CASES = OrderCases()


def cases_of_orders(order_ids: Sequence[int]) -> dict[int, OrderCases]:
    """order id → its open case and finally decided types, for the given orders in one query (orders with
    neither are left out)."""
    if not order_ids:
        return {}
    open_ids: dict[int, int] = {}
    final: dict[int, set[RefundType]] = {}
    for order_id, case_id, refund_type, is_open, final_decision in db.session.execute(
        _OPEN_OR_FINAL, {"order_ids": list(order_ids)}
    ):
        if is_open:
            open_ids[order_id] = case_id
        if final_decision:
            final.setdefault(order_id, set()).add(RefundType(refund_type))
    return {
        order_id: OrderCases(open_ids.get(order_id), frozenset(final.get(order_id, ())))
        for order_id in open_ids.keys() | final.keys()
    }


def order_cases(order_id: int) -> OrderCases:
    """The order's open case and its finally decided refund types, in one query."""
    return cases_of_orders([order_id]).get(order_id, NO_CASES)


def open_case_for(order_id: int) -> RefundCase | None:
    return db.session.scalar(_OPEN_CASE, {"order_id": order_id})


def reserved_fen(order_id: int, excluding_case_id: int | None = None) -> int:
    """Money the order's open cases claim: the approved amount once approved, else the amount asked for."""
    query = select(RefundCase.state, RefundCase.requested_fen, RefundCase.approved_fen).where(
        RefundCase.order_id == order_id, RefundCase.is_open.is_(True)
    )
    if excluding_case_id is not None:
        query = query.where(RefundCase.id != excluding_case_id)
    total = 0
    for state, requested, approved in db.session.execute(query):
        claim = approved if state in APPROVED_CLAIM_STATES and approved is not None else requested
        total += claim or 0
    return total


def order_ledger(order: Order, excluding_case_id: int | None = None) -> Ledger:
    """The order's ledger (see orders.ledger); a case being decided leaves its own claim out."""
    return Ledger(order.amount_fen, order.refunded_fen, reserved_fen(order.id, excluding_case_id))


def facts_for(order: Order, cases: OrderCases | None = None) -> engine.OrderFacts:
    """The order's facts as the rules see them now: its open case and its final decisions included
    (`cases` when the caller has read them already)."""
    cases = cases if cases is not None else order_cases(order.id)
    return order_facts(order, cases.open_case_id is not None, cases.finally_decided)


def case_by_key(key: str) -> RefundCase | None:
    return db.session.scalar(select(RefundCase).where(RefundCase.idempotency_key == key))


def new_case_number(now) -> str:
    return "RF" + now.strftime("%Y%m%d") + secrets.token_hex(4).upper()


def assess_order(order: Order, refund_type: RefundType, now=None) -> engine.Assessment:
    """The policy in force applied to this order and refund type."""
    rules = ruleset_of(published_version())
    return engine.assess(facts_for(order), refund_type, rules, now or utcnow())


def submit_case(request: CaseRequest) -> RefundCase:
    """Open a case once per idempotency key; raises CaseError when the rules or the data say no."""
    existing = case_by_key(request.idempotency_key)
    if existing is not None:
        return existing
    order = db.session.scalar(
        select(Order)
        .where(Order.id == request.order_id, Order.customer_id == request.customer_id)
        .with_for_update()
    )
    if order is None:
        raise CaseError("no_such_order")
    if (same := case_by_key(request.idempotency_key)) is not None:
        return same  # the same submit won the order's lock while this one waited for it
    now = utcnow()
    version = ensure_published_default()  # a case always records the version it was opened under
    rules = ruleset_of(version)
    assessment = engine.assess(facts_for(order), request.refund_type, rules, now)
    if not assessment.eligible:
        raise CaseError(assessment.reason_code)
    if error := engine.validate_amount(assessment, request.amount_fen):
        raise CaseError(error, max_fen=engine.max_request_fen(assessment))
    evidence = _own_evidence(request.customer_id, request.evidence_ids)
    missing = [
        item.key
        for item in assessment.checklist
        if item.required and item.key not in {e.checklist_key for e in evidence}
    ]
    if missing:
        raise CaseError("evidence_missing")
    green = request.urgent or request.amount_fen >= rules.green_channel_fen
    case = RefundCase(
        number=new_case_number(now),
        order_id=order.id,
        customer_id=request.customer_id,
        refund_type=request.refund_type,
        state=CaseState.SUBMITTED,
        is_open=True,
        reason_text=request.reason_text,
        requested_fen=request.amount_fen,
        suggested_fen=assessment.suggested_fen,
        clause=assessment.clause,
        auto_approvable=assessment.auto_approvable,
        policy_version_id=version.id,
        idempotency_key=request.idempotency_key,
        green_channel=green,
        urgent=request.urgent,
        review_due_at=(
            deadlines.green_channel_review_due(now)
            if green
            else deadlines.review_due(now, assessment.review_working_days)
        ),
        created_at=now,
        updated_at=now,
    )
    case.step_due_at = case.review_due_at
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError as exc:
        # A double tap raced us (same key), or another case for the order is already open.
        db.session.rollback()
        if (same := case_by_key(request.idempotency_key)) is not None:
            return same
        raise CaseError("case_open") from exc
    append_event(
        case,
        "submitted",
        Actor.CUSTOMER,
        request.customer_id,
        None,
        CaseState.SUBMITTED,
        reason=request.reason_text,
        data={
            "amount_fen": request.amount_fen,
            "type": str(request.refund_type),
            "clause": assessment.clause,
            "policy_version": version.id,
        },
    )
    announce(case, "submitted")
    if evidence:
        for item in evidence:
            item.case_id = case.id
        move(
            case,
            CaseState.EVIDENCE_RECEIVED,
            Actor.SYSTEM,
            None,
            data={"files": [e.public_id for e in evidence]},
        )
    _screen(case)
    db.session.commit()
    return case


def _screen(case: RefundCase) -> None:
    """Raise risk flags, then tell subscribers the case is open (automatic review queues itself)."""
    risk.refresh_flags(case)
    events.opened(case)


def _own_evidence(customer_id: int, ids) -> list[EvidenceFile]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(EvidenceFile).where(
                EvidenceFile.id.in_(ids),
                EvidenceFile.customer_id == customer_id,
                EvidenceFile.removed_at.is_(None),
                EvidenceFile.case_id.is_(None),
            )
        )
    )


def move(
    case: RefundCase,
    target: CaseState,
    actor_kind: Actor,
    actor_id: int | None,
    reason: str = "",
    data: dict | None = None,
    action: str | None = None,
) -> RefundCase:
    """Change the case's state if the state machine allows it; log and announce it in the same transaction."""
    current = CaseState(case.state)
    states.transition(current, target, actor_kind)
    now = utcnow()
    case.state = target
    case.is_open = states.is_open(target)
    case.updated_at = now
    event = action or str(target)
    append_event(case, event, actor_kind, actor_id, current, target, reason, data)
    change = CaseMove(case, event, current, target, actor_kind, actor_id, now)
    events.moved(change)  # subscribers complete the step first (an appeal's senior and deadline)
    announce(case, event)
    if target is CaseState.APPROVED:
        events.approved(change)  # the payout row and its job, in this same transaction
    return case


def announce(case: RefundCase, event: str) -> None:
    """Tell the customer (in-app message, push, SMS) about the event, in the same transaction."""
    events.announced(case, event)


def customer_cases(customer_id: int) -> list[RefundCase]:
    """退款记录: the customer's cases, newest first, with their orders (one query, not one per case)."""
    return list(
        db.session.scalars(
            select(RefundCase)
            .options(joinedload(RefundCase.order))
            .where(RefundCase.customer_id == customer_id)
            .order_by(RefundCase.created_at.desc())
        )
    )


def get_customer_case(customer_id: int, case_id: int) -> RefundCase | None:
    """The case (with its order, which its pages show) if it is the customer's; None otherwise (the caller
    answers 404)."""
    return db.session.scalar(
        select(RefundCase)
        .options(joinedload(RefundCase.order, innerjoin=True))
        .where(RefundCase.id == case_id, RefundCase.customer_id == customer_id)
    )
