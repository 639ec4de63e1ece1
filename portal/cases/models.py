"""Refund cases, their drafts and the append-only event log (their evidence files: portal.evidence.models)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, object_session, relationship

from portal.cases.states import CaseState
from portal.clock import utcnow
from portal.dbtypes import JsonData, enum_column
from portal.extensions import db
from portal.policy.kinds import RefundType


class RefundDraft(db.Model):
    """What a customer has entered in the wizard so far; survives leaving and coming back."""

    __tablename__ = "refund_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    refund_type: Mapped[RefundType | None] = mapped_column(enum_column(RefundType))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    amount_fen: Mapped[int | None]
    # Submitting twice with the same key yields the same case.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order = relationship("Order")


class RefundCase(db.Model):
    __tablename__ = "refund_cases"
    __table_args__ = (
        # One open case per order, enforced by the database on both SQLite and PostgreSQL; an appeal
        # against a partial approval (appeal_of_id) is the one linked exception, at most one per case.
        Index(
            "uq_refund_cases_open_order",
            "order_id",
            unique=True,
            sqlite_where=db.text("is_open AND appeal_of_id IS NULL"),
            postgresql_where=db.text("is_open AND appeal_of_id IS NULL"),
        ),
        Index("ix_refund_cases_customer_created", "customer_id", "created_at"),
        Index("ix_refund_cases_queue", "is_open", "green_channel", "review_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    refund_type: Mapped[RefundType] = mapped_column(enum_column(RefundType))
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState), default=CaseState.SUBMITTED)
    is_open: Mapped[bool] = mapped_column(default=True)
    reason_text: Mapped[str] = mapped_column(Text)
    requested_fen: Mapped[int]
    suggested_fen: Mapped[int]
    approved_fen: Mapped[int | None]
    clause: Mapped[str] = mapped_column(String(64))
    auto_approvable: Mapped[bool] = mapped_column(default=False)
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    green_channel: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=False)
    risk_flags: Mapped[list] = mapped_column(JsonData, default=list)
    review_due_at: Mapped[datetime | None]
    step_due_at: Mapped[datetime | None]
    overdue_notified_at: Mapped[datetime | None]
    # Decided for good (third-party arbitration, an answered appeal): per policy, no new request of this type.
    final_decision: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    decision_reason_code: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None]
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    requested_items: Mapped[list] = mapped_column(JsonData, default=list)
    # An appeal against a partial approval is a case of its own for the part not granted: this is the
    # partly approved case it appeals (unique: one appeal per case). See docs/lifecycle.md.
    appeal_of_id: Mapped[int | None] = mapped_column(ForeignKey("refund_cases.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped on every change: the progress page's ETag, and optimistic locking for decisions.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order = relationship("Order")
    customer = relationship("Customer")
    # The partly approved case this one appeals, and (the other way) the appeal lodged against this one.
    appeal_of = relationship(
        "RefundCase", remote_side=[id], foreign_keys=[appeal_of_id], backref=backref("appeal", uselist=False)
    )
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.seq", viewonly=True
    )
    # portal.evidence.models.EvidenceFile, by name: the evidence room sits below the cases.
    evidence = relationship("EvidenceFile", back_populates="case", order_by="EvidenceFile.id", viewonly=True)


class CaseEvent(db.Model):
    """One entry of the append-only, hash-chained log (see cases.auditchain)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("refund_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(48))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JsonData, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    case: Mapped[RefundCase] = relationship(back_populates="events")

    @property
    def page_owner(self) -> int:
        """Whose pages this event changes (portal.pagecache): its case's customer's."""
        return (self.case or object_session(self).get(RefundCase, self.case_id)).customer_id


class AuditHead(db.Model):
    """The chain's single head row: appenders lock it, so concurrent writers cannot fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))
