"""Payouts: the money going back for an approved case, exactly once."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from portal.clock import utcnow
from portal.dbtypes import enum_column
from portal.extensions import db
from portal.orders.kinds import PaymentRoute
from portal.payouts.receiving import AccountKind, mask
from portal.payouts.states import PayoutState, SuccessSource


class Payout(db.Model):
    """One per approved amount (one per case); `request_no` is made once, stored before any gateway call."""

    __tablename__ = "payouts"
    __table_args__ = (Index("ix_payouts_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("refund_cases.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # out_request_no (Alipay) / out_refund_no (WeChat Pay) / merchant serial (bank): every retry reuses it.
    request_no: Mapped[str] = mapped_column(String(40), unique=True)
    amount_fen: Mapped[int]
    route: Mapped[PaymentRoute] = mapped_column(enum_column(PaymentRoute))
    state: Mapped[PayoutState] = mapped_column(enum_column(PayoutState), default=PayoutState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # submissions sent (answered or not)
    failures: Mapped[int] = mapped_column(default=0)  # definite failures since the last staff retry
    last_error: Mapped[str] = mapped_column(Text, default="")
    gateway_ref: Mapped[str] = mapped_column(String(64), default="")
    success_source: Mapped[SuccessSource | None] = mapped_column(enum_column(SuccessSource))
    next_attempt_at: Mapped[datetime | None]
    # A worker owns the payout while it talks to the gateway; another worker skips it until then.
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    # Bumped by every writer first: it takes the row lock (PostgreSQL) or the write lock (SQLite).
    lock_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    last_query_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    manual_at: Mapped[datetime | None]
    succeeded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The customer's word after the money went: confirmed / not_arrived (→ staff) / resolved.
    arrival_status: Mapped[str | None] = mapped_column(String(16))
    arrival_reported_at: Mapped[datetime | None]
    arrival_note: Mapped[str] = mapped_column(Text, default="")

    case = relationship("RefundCase")
    order = relationship("Order")
    receiving_account: Mapped["ReceivingAccount | None"] = relationship(
        back_populates="payout", uselist=False
    )
    transfer: Mapped["ManualTransfer | None"] = relationship(back_populates="payout", uselist=False)


class ReceivingAccount(db.Model):
    """Where an offline (线下转账) refund goes: given by the customer, shown masked."""

    __tablename__ = "payout_receiving_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), unique=True)
    kind: Mapped[AccountKind] = mapped_column(enum_column(AccountKind))
    holder_name: Mapped[str] = mapped_column(String(64))
    account_no: Mapped[str] = mapped_column(String(64))
    bank_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    payout: Mapped[Payout] = relationship(back_populates="receiving_account")

    @property
    def page_owner(self) -> int:
        return payout_owner(self)

    @property
    def masked_number(self) -> str:
        return mask(self.kind, self.account_no)


class ManualTransfer(db.Model):
    """A payout staff made by hand: their reference and the proof (a receipt image or PDF)."""

    __tablename__ = "payout_manual_transfers"
    __table_args__ = (UniqueConstraint("route", "reference", name="uq_payout_manual_transfers_reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    route: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    proof_key: Mapped[str] = mapped_column(String(128))
    proof_mime: Mapped[str] = mapped_column(String(48))
    proof_sha256: Mapped[str] = mapped_column(String(64))
    # The receiving account as it stood when staff paid (the customer may change it until then).
    paid_to: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    payout: Mapped[Payout] = relationship(back_populates="transfer")
    staff = relationship("StaffUser")

    @property
    def page_owner(self) -> int:
        return payout_owner(self)


class PayoutNotice(db.Model):
    """A gateway notification that changed something; a replay (same notify id) changes nothing."""

    __tablename__ = "payout_notices"
    __table_args__ = (UniqueConstraint("payout_id", "notify_id", name="uq_payout_notices_payout_notify"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)
    notify_id: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
    amount_fen: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def page_owner(self) -> int:
        return payout_owner(self)


def payout_owner(row: ReceivingAccount | ManualTransfer | PayoutNotice) -> int:
    """Whose pages a payout's detail row changes (portal.pagecache): the payout's customer's."""
    return (getattr(row, "payout", None) or object_session(row).get(Payout, row.payout_id)).customer_id
