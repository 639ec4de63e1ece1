"""In-app messages (站内信) and what the development SMS backend sent (the outbox is portal.outbox)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
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


class ConsoleSms(db.Model):
    """What the development SMS backend 'sent' (a stand-in provider: nothing leaves the machine)."""

    __tablename__ = "console_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    out_id: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
