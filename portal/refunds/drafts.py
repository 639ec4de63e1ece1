"""Wizard drafts: what the customer entered so far, kept in the database so that leaving loses nothing."""

import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.cases.models import RefundCase, RefundDraft
from portal.evidence.models import EvidenceFile
from portal.extensions import db
from portal.orders.models import Order
from portal.policy.kinds import RefundType


def new_idempotency_key() -> str:
    """A fresh key: a submission carrying it opens at most one case."""
    return secrets.token_hex(16)


def find_draft(customer_id: int, order_id: int) -> RefundDraft | None:
    """The customer's live draft for the order; a draft whose key already opened a case is finished."""
    draft = db.session.scalar(
        select(RefundDraft).where(RefundDraft.order_id == order_id, RefundDraft.customer_id == customer_id)
    )
    if draft is not None and _key_used(draft.idempotency_key):
        # Submitted, but the clean-up after the commit did not happen (a crash, a lost connection).
        finish(draft.id)
        db.session.commit()
        return None
    return draft


def open_draft(customer_id: int, order: Order) -> RefundDraft:
    """The order's draft, created on first use (two tabs racing end up with the same row)."""
    draft = find_draft(customer_id, order.id)
    if draft is not None:
        return draft
    draft = RefundDraft(customer_id=customer_id, order_id=order.id, idempotency_key=new_idempotency_key())
    try:
        with db.session.begin_nested():
            db.session.add(draft)
    except IntegrityError:
        existing = find_draft(customer_id, order.id)
        if existing is None:
            raise
        return existing
    return draft


def choose_type(draft: RefundDraft, refund_type: RefundType) -> None:
    """Record the chosen type; a different type resets the amount (its ceiling may differ)."""
    if draft.refund_type != refund_type:
        draft.amount_fen = None
    draft.refund_type = refund_type


def save_details(draft: RefundDraft, reason_text: str, amount_fen: int | None) -> None:
    """Record the reason and the requested amount."""
    draft.reason_text = reason_text
    draft.amount_fen = amount_fen


def draft_files(draft: RefundDraft | None) -> list[EvidenceFile]:
    """The draft's uploaded files that were not removed, oldest first."""
    if draft is None or draft.id is None:
        return []
    return list(
        db.session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.draft_id == draft.id, EvidenceFile.removed_at.is_(None))
            .order_by(EvidenceFile.id)
        )
    )


def finish(draft_id: int) -> None:
    """Drop a submitted draft; its files stay (they belong to the case now, or remain as a record).

    By id, in statements: the same submit racing this one may have dropped it already (then nothing happens).
    """
    db.session.execute(update(EvidenceFile).where(EvidenceFile.draft_id == draft_id).values(draft_id=None))
    db.session.execute(delete(RefundDraft).where(RefundDraft.id == draft_id))
    db.session.flush()


def _key_used(key: str) -> bool:
    return db.session.scalar(select(RefundCase.id).where(RefundCase.idempotency_key == key)) is not None
