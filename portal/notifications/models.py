"""In-app messages (站内信) and the outbox of work for the workers."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.dbtypes import JsonData
from portal.extensions import db


class InboxMessage(db.Model):
    __tablename__ = "inbox_messages"
    __table_args__ = (Index("ix_inbox_messages_customer_unread", "customer_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("refund_cases.id"))
    event: Mapped[str] = mapped_column(String(48))
    # Rendered in the customer's language when written: a message is a record of what was said.
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class OutboxItem(db.Model):
    """Work written in the same transaction as the change that caused it; the relay enqueues it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms, push, job
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("refund_cases.id"))
    recipient: Mapped[str] = mapped_column(String(64), default="")
    template: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JsonData, default=dict)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    # pending, sent, failed; rerouted: a push whose APP is gone, sent by SMS instead
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Why a failed row failed: retries_spent, give_up or fix_settings (the provider's verdict).
    failure: Mapped[str] = mapped_column(String(16), default="", server_default="")
    provider_ref: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ConsoleSms(db.Model):
    """What the development SMS backend 'sent' (a stand-in provider: nothing leaves the machine)."""

    __tablename__ = "console_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    out_id: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
