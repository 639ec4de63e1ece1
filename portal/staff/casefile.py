"""Everything the review page shows about one case, read in a handful of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from portal.accounts.models import StaffUser
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import CaseState
from portal.evidence.models import EvidenceFile
from portal.extensions import db
from portal.orders.models import Order
from portal.policy import engine
from portal.policy.facts import order_facts
from portal.policy.models import PolicyVersion
from portal.policy.publishing import published_version, ruleset_of
from portal.staff.review import STAFF_STATES, QueueItem

VELOCITY_DAYS = 30
HISTORY_ORDERS = 10


@dataclass(frozen=True)
class EvidenceView:
    file: EvidenceFile
    label: str
    duplicates: tuple[RefundCase, ...]


@dataclass(frozen=True)
class History:
    orders: list[Order]
    order_count: int
    cases: list[RefundCase]
    recent_cases: int  # refund requests in the last VELOCITY_DAYS days
    refunded_fen: int  # approved or paid out, all time


def policy_of(case: RefundCase) -> PolicyVersion | None:
    """The policy version the case was opened under (the one in force now for old rows without one)."""
    if case.policy_version_id:
        return db.session.get(PolicyVersion, case.policy_version_id)
    return published_version()


def suggestion(case: RefundCase, version: PolicyVersion | None, now: datetime) -> engine.Assessment | None:
    """What the policy engine says now about the case's order and type, under the case's policy version."""
    if version is None:
        return None
    facts = order_facts(case.order, has_open_case=False)
    return engine.assess(facts, case.refund_type, ruleset_of(version), now)


def checklist_labels(case: RefundCase, version: PolicyVersion | None, lang: str) -> dict[str, str]:
    """The case's checklist items (key -> the text the customer reads), in the policy's order."""
    if version is None:
        return {}
    rule = ruleset_of(version).rule_for(case.order.category, case.refund_type)
    texts = (version.texts or {}).get(lang) or (version.texts or {}).get("zh_CN") or {}
    described = texts.get(str(case.order.category), {}).get(str(case.refund_type), {}).get("checklist", {})
    keys = [item.key for item in rule.evidence] if rule else []
    return {key: described.get(key) or key.replace("_", " ") for key in keys}


def evidence(case: RefundCase, labels: dict[str, str]) -> list[EvidenceView]:
    """The case's live files, each with the other cases that carry a file with the same content."""
    files = [f for f in case.evidence if f.removed_at is None]
    hashes = {f.sha256 for f in files}
    others: dict[str, list[RefundCase]] = {}
    if hashes:
        rows = db.session.execute(
            select(EvidenceFile.sha256, RefundCase)
            .join(RefundCase, RefundCase.id == EvidenceFile.case_id)
            .where(
                EvidenceFile.sha256.in_(hashes),
                EvidenceFile.removed_at.is_(None),
                RefundCase.id != case.id,
            )
            .order_by(RefundCase.id)
        ).all()
        for sha, other in rows:
            if other not in others.setdefault(sha, []):
                others[sha].append(other)
    return [
        EvidenceView(f, labels.get(f.checklist_key) or f.checklist_key, tuple(others.get(f.sha256, ())))
        for f in files
    ]


def history(case: RefundCase, now: datetime) -> History:
    """The customer's orders, refund requests and refund velocity."""
    customer_id = case.customer_id
    orders = db.session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.paid_at.desc())
        .limit(HISTORY_ORDERS)
    ).all()
    order_count = db.session.scalar(select(func.count(Order.id)).where(Order.customer_id == customer_id))
    cases = db.session.scalars(
        select(RefundCase).where(RefundCase.customer_id == customer_id).order_by(RefundCase.created_at.desc())
    ).all()
    since = now - timedelta(days=VELOCITY_DAYS)
    paid_states = {CaseState.APPROVED, CaseState.EXECUTING, CaseState.MANUAL, CaseState.REFUNDED}
    return History(
        orders=list(orders),
        order_count=order_count or 0,
        cases=list(cases),
        recent_cases=sum(c.created_at >= since for c in cases),
        refunded_fen=sum(c.approved_fen or 0 for c in cases if c.state in paid_states),
    )


def events(case: RefundCase) -> list[CaseEvent]:
    """The case's log, oldest first."""
    return list(
        db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )


def staff_names(ids) -> dict[int, str]:
    """Display names of staff members by id."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(
        db.session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids))).all()
    )


def queue_items() -> list[QueueItem]:
    """Every case that still waits for someone, as light rows for the queue."""
    rows = db.session.execute(
        select(
            RefundCase.id,
            RefundCase.number,
            RefundCase.state,
            Order.category,
            RefundCase.refund_type,
            RefundCase.requested_fen,
            RefundCase.green_channel,
            RefundCase.risk_flags,
            RefundCase.assigned_to_id,
            RefundCase.step_due_at,
            RefundCase.review_due_at,
            RefundCase.created_at,
        )
        .join(Order, Order.id == RefundCase.order_id)
        .where(RefundCase.is_open.is_(True), RefundCase.state.in_(STAFF_STATES))
    ).all()
    return [
        QueueItem(
            id=r.id,
            number=r.number,
            state=CaseState(r.state),
            category=r.category,
            refund_type=r.refund_type,
            requested_fen=r.requested_fen,
            green_channel=r.green_channel,
            flag_count=len(r.risk_flags or []),
            assigned_to_id=r.assigned_to_id,
            due_at=r.step_due_at or r.review_due_at,
            created_at=r.created_at,
        )
        for r in rows
    ]
