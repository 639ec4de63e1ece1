"""The refund wizard's logic: which types to offer, the evidence checklist's state, and submitting a draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.cases.models import RefundCase, RefundDraft
from portal.cases.services import CaseRequest, OrderCases, facts_for, submit_case
from portal.evidence.models import EvidenceFile
from portal.extensions import db
from portal.orders.models import Order
from portal.policy import engine
from portal.policy.kinds import RefundType
from portal.policy.publishing import PublishedPolicy, policy_in_force
from portal.policy.rules import EvidenceItem
from portal.policy.texts import PolicyTexts, policy_texts
from portal.refunds import drafts


@dataclass(frozen=True)
class ChecklistRow:
    """One evidence item with the files uploaded for it."""

    item: EvidenceItem
    description: str
    files: tuple[EvidenceFile, ...]

    @property
    def satisfied(self) -> bool:
        return bool(self.files)

    @property
    def missing(self) -> bool:
        return self.item.required and not self.files


@dataclass(frozen=True)
class OrderPolicy:
    """The policy in force as it applies to one order right now."""

    version: PublishedPolicy | None
    assessments: dict[RefundType, engine.Assessment]

    def eligible_types(self) -> list[RefundType]:
        return [t for t, a in self.assessments.items() if a.eligible]

    def texts(self, lang: str, category: str, refund_type: RefundType) -> PolicyTexts:
        return policy_texts(self.version, lang, category, refund_type)


def order_policy(order: Order, now: datetime, cases: OrderCases | None = None) -> OrderPolicy:
    """Every refund type the order's category offers, each assessed against the policy in force."""
    version, rules = policy_in_force()
    facts = facts_for(order, cases)
    assessments = {t: engine.assess(facts, t, rules, now) for t in engine.offered_types(facts, rules, now)}
    return OrderPolicy(version, assessments)


def parse_type(value: str | None) -> RefundType | None:
    """A refund type from a form or query value; None for anything else."""
    try:
        return RefundType(value) if value else None
    except ValueError:
        return None


def checklist_rows(
    assessment: engine.Assessment, texts: PolicyTexts, files: list[EvidenceFile]
) -> list[ChecklistRow]:
    """The checklist of the chosen type, each item with its uploaded files."""
    return [
        ChecklistRow(
            item=item,
            description=texts.describe(item.key),
            files=tuple(f for f in files if f.checklist_key == item.key),
        )
        for item in assessment.checklist
    ]


def submit_draft(draft: RefundDraft, customer_id: int, idempotency_key: str, keys: set[str]) -> RefundCase:
    """Open the case from the draft (raises CaseError); the draft is finished once the case exists."""
    files = [f for f in drafts.draft_files(draft) if f.checklist_key in keys]
    draft_id = draft.id
    case = submit_case(
        CaseRequest(
            customer_id=customer_id,
            order_id=draft.order_id,
            refund_type=RefundType(draft.refund_type),
            reason_text=draft.reason_text,
            amount_fen=draft.amount_fen or 0,
            idempotency_key=idempotency_key,
            evidence_ids=tuple(f.id for f in files),
        )
    )
    drafts.finish(draft_id)
    db.session.commit()
    return case
