"""Customer-service conversations, their messages, and the canned replies policy editors maintain."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from portal.clock import utcnow
from portal.extensions import db


class Conversation(db.Model):
    """One thread between a customer and customer service, about an order, a case, or nothing in particular.

    `waiting_since` is when the oldest customer message still without a staff answer was sent (None: nobody
    is waiting); `due_at` is 24 clock hours later, the answer deadline shown to the customer.
    """

    __tablename__ = "support_conversations"
    __table_args__ = (Index("ix_support_conversations_desk", "waiting_since", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("refund_cases.id"), index=True)
    waiting_since: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped on every new message: the thread's ETag for polls.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer = relationship("Customer")
    order = relationship("Order")
    case = relationship("RefundCase")
    messages: Mapped[list["SupportMessage"]] = relationship(
        back_populates="conversation", order_by="SupportMessage.id", viewonly=True
    )


class SupportMessage(db.Model):
    """A message in a conversation: text, a photo, or both."""

    __tablename__ = "support_messages"
    __table_args__ = (
        Index("ix_support_messages_unread", "conversation_id", "author_kind", "read_at"),
        # A double-tapped Send carries the same token twice: the database keeps one row.
        UniqueConstraint("conversation_id", "client_token", name="uq_support_messages_client_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id"))
    author_kind: Mapped[str] = mapped_column(String(16))  # customer, staff
    author_id: Mapped[int | None]
    body: Mapped[str] = mapped_column(Text, default="")
    # A photo, processed like evidence (re-encoded, metadata dropped); the key is random.
    public_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    storage_key: Mapped[str | None] = mapped_column(String(128))
    mime: Mapped[str | None] = mapped_column(String(48))
    sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    # On a staff answer: when the wait it ended began (for the answered-within-24-hours figure).
    answers_wait_from: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]  # read by the other side
    # The token of the form the customer sent it from (one per rendered form); None for staff answers.
    client_token: Mapped[str | None] = mapped_column(String(64))

    conversation: Mapped[Conversation] = relationship(back_populates="messages")

    @property
    def page_owner(self) -> int:
        """Whose pages this message changes (portal.pagecache): its conversation's customer's."""
        return (self.conversation or object_session(self).get(Conversation, self.conversation_id)).customer_id


class CannedReply(db.Model):
    """A ready answer staff may start from, written by policy editors in both languages."""

    __tablename__ = "support_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GreenChannelRequest(db.Model):
    """A customer asks for priority (绿色通道) on an open case, with a reason; a senior grants or declines."""

    __tablename__ = "support_green_channel_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("refund_cases.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, granted, declined
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(Text, default="")

    case = relationship("RefundCase")


class Complaint(db.Model):
    """投诉建议: about a case, a decision, the service or a staff member; answered within 24 hours."""

    __tablename__ = "support_complaints"
    __table_args__ = (Index("ix_support_complaints_open", "closed_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))  # case, decision, service, staff
    case_id: Mapped[int | None] = mapped_column(ForeignKey("refund_cases.id"))
    staff_named: Mapped[str] = mapped_column(String(64), default="")  # as the customer names them
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    escalated_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    closed_at: Mapped[datetime | None]

    customer = relationship("Customer")
    case = relationship("RefundCase")
