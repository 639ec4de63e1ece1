"""Conversations with customer service: opening, messages both ways, reading, the desk's queue and clock.

Plain functions with explicit arguments; the caller commits. The answer deadline is the source's one
24-hour promise of the customer-service team (客服团队需在24小时内响应), in clock hours
(deadlines.SUPPORT_ANSWER).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update

from portal.accounts import throttle
from portal.accounts.models import StaffUser
from portal.accounts.roles import REVIEW_ROLES
from portal.cases import deadlines
from portal.cases.models import RefundCase
from portal.evidence.inspect import ProcessedFile, process
from portal.evidence.storage import Storage
from portal.extensions import db
from portal.orders.models import Order
from portal.staff.appeals import pick_senior
from portal.support.models import Complaint, Conversation, GreenChannelRequest, SupportMessage

MESSAGE_MAX = 2000
# A customer's messages (platform choice: a person types far slower; a script or a stuck button does not).
MESSAGE_RATE = "10 per minute;60 per hour"
RATE_SCOPE = "support-message"
TOKEN_MAX = 64
CUSTOMER, STAFF = "customer", "staff"


class SupportError(ValueError):
    """Refused; `.code` says why (views turn it into a message in the reader's language)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Photo:
    """An upload as received (bytes and the size limits that apply)."""

    data: bytes
    max_bytes: int
    max_pixels: int


def new_number(now: datetime) -> str:
    return "CS" + now.strftime("%Y%m%d") + secrets.token_hex(4).upper()


def check_text(body: str, has_photo: bool) -> str:
    """The message text, stripped; raises SupportError("empty") or ("too_long")."""
    text = (body or "").strip()
    if not text and not has_photo:
        raise SupportError("empty")
    if len(text) > MESSAGE_MAX:
        raise SupportError("too_long", limit=MESSAGE_MAX, length=len(text))
    return text


# -- the customer's side ---------------------------------------------------------------------------


def context_for(customer_id: int, order_id: int | None, case_id: int | None) -> tuple[int | None, int | None]:
    """(order id, case id) the conversation is about, checked to be the customer's (else "not_found")."""
    if case_id is not None:
        case = db.session.scalar(
            select(RefundCase).where(RefundCase.id == case_id, RefundCase.customer_id == customer_id)
        )
        if case is None:
            raise SupportError("not_found")
        return case.order_id, case.id
    if order_id is not None:
        found = db.session.scalar(
            select(Order.id).where(Order.id == order_id, Order.customer_id == customer_id)
        )
        if found is None:
            raise SupportError("not_found")
        return order_id, None
    return None, None


def find_conversation(customer_id: int, order_id: int | None, case_id: int | None) -> Conversation | None:
    """The customer's existing conversation about the same thing (one thread per order, case, or general)."""
    return db.session.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.order_id.is_(None) if order_id is None else Conversation.order_id == order_id,
            Conversation.case_id.is_(None) if case_id is None else Conversation.case_id == case_id,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def open_conversation(
    customer_id: int, order_id: int | None, case_id: int | None, now: datetime
) -> Conversation:
    """The conversation about this order/case (or general), opened if there is none yet."""
    order_id, case_id = context_for(customer_id, order_id, case_id)
    found = find_conversation(customer_id, order_id, case_id)
    if found is not None:
        return found
    conversation = Conversation(
        number=new_number(now),
        customer_id=customer_id,
        order_id=order_id,
        case_id=case_id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(conversation)
    db.session.flush()
    return conversation


def customer_conversation(customer_id: int, conversation_id: int) -> Conversation | None:
    """The conversation if it is the customer's (None: answer 404)."""
    return db.session.scalar(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.customer_id == customer_id
        )
    )


def customer_conversations(customer_id: int) -> list[tuple[Conversation, int]]:
    """The customer's conversations, latest activity first, each with its count of unread answers."""
    unread = (
        select(SupportMessage.conversation_id, func.count(SupportMessage.id).label("n"))
        .where(SupportMessage.author_kind == STAFF, SupportMessage.read_at.is_(None))
        .group_by(SupportMessage.conversation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Conversation, func.coalesce(unread.c.n, 0))
        .outerjoin(unread, unread.c.conversation_id == Conversation.id)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    ).all()
    return [(conversation, int(count)) for conversation, count in rows]


# Staff answers the customer has not seen yet, over all their conversations: the title bar's 联系客服 shows
# it on every customer page (counted with the shell's other badges, see portal/shell.py).
UNREAD_FOR_CUSTOMER = (
    select(func.count(SupportMessage.id))
    .join(Conversation, Conversation.id == SupportMessage.conversation_id)
    .where(
        Conversation.customer_id == bindparam("customer_id"),
        SupportMessage.author_kind == STAFF,
        SupportMessage.read_at.is_(None),
    )
)


def store_photo(storage: Storage, photo: Photo) -> ProcessedFile:
    """Check and re-encode a photo like evidence (raises EvidenceError); only images, never PDFs."""
    processed = process(photo.data, photo.max_bytes, photo.max_pixels)
    if processed.kind != "image":
        raise SupportError("not_a_photo")
    return processed


def client_token(raw: str | None) -> str | None:
    """The form's token as sent, or None when there is none or it is not one of ours."""
    token = (raw or "").strip()
    return token if 0 < len(token) <= TOKEN_MAX and token.isascii() else None


def check_rate(customer_id: int) -> None:
    """Raises SupportError("too_many") while the customer's message allowance is spent (nothing counted)."""
    key = str(customer_id)
    if throttle.spent(MESSAGE_RATE, RATE_SCOPE, key):
        raise SupportError("too_many", minutes=throttle.wait_minutes(MESSAGE_RATE, RATE_SCOPE, key))


def count_message(customer_id: int) -> None:
    """One message sent (counted after it is stored: refused ones and repeats cost nothing)."""
    throttle.count(MESSAGE_RATE, RATE_SCOPE, str(customer_id))


def sent_with_token(customer_id: int, token: str | None) -> SupportMessage | None:
    """The customer's message already sent from the form with this token (a repeated Send), if any."""
    if token is None:
        return None
    return db.session.scalar(
        select(SupportMessage)
        .join(Conversation, Conversation.id == SupportMessage.conversation_id)
        .where(Conversation.customer_id == customer_id, SupportMessage.client_token == token)
        .limit(1)
    )


def add_customer_message(
    conversation: Conversation,
    body: str,
    photo: ProcessedFile | None,
    storage: Storage,
    now: datetime,
    token: str | None = None,
) -> SupportMessage:
    """The customer writes; if nobody was waiting, the 24-hour answer clock starts now.

    `token` is the form's own: a second message with the same token in the conversation is refused by
    the database (IntegrityError on flush), so a double-tapped Send is stored once."""
    text = check_text(body, photo is not None)
    message = SupportMessage(
        conversation_id=conversation.id,
        author_kind=CUSTOMER,
        author_id=conversation.customer_id,
        body=text,
        created_at=now,
        client_token=token,
    )
    if photo is not None:
        # Blob first, row after: a failed commit leaves an orphan blob, never a row without bytes.
        message.storage_key = storage.save(photo.data, photo.extension)
        message.public_id = secrets.token_urlsafe(18)
        message.mime, message.sha256 = photo.mime, photo.sha256
        message.width, message.height = photo.width, photo.height
    if conversation.waiting_since is None:
        conversation.waiting_since = now
        conversation.due_at = deadlines.support_answer_due(now)
    conversation.updated_at = now
    db.session.add(message)
    db.session.flush()
    return message


def mark_read_by_customer(conversation: Conversation, now: datetime) -> int:
    """The customer has seen every staff answer in the conversation."""
    return _mark_read(conversation, STAFF, now)


def mark_read_by_staff(conversation: Conversation, now: datetime) -> int:
    return _mark_read(conversation, CUSTOMER, now)


def _mark_read(conversation: Conversation, author_kind: str, now: datetime) -> int:
    result = db.session.execute(
        update(SupportMessage)
        .where(
            SupportMessage.conversation_id == conversation.id,
            SupportMessage.author_kind == author_kind,
            SupportMessage.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(page_owner=conversation.customer_id)  # whose pages change (portal.pagecache)
    )
    return result.rowcount or 0


def photo_message(public_id: str) -> SupportMessage | None:
    return db.session.scalar(select(SupportMessage).where(SupportMessage.public_id == public_id))


# -- the desk's side -------------------------------------------------------------------------------


def add_staff_reply(conversation: Conversation, staff: StaffUser, body: str, now: datetime) -> SupportMessage:
    """Staff answer: the wait ends (recorded on the answer for the figures); the customer is told."""
    text = check_text(body, False)
    message = SupportMessage(
        conversation_id=conversation.id,
        author_kind=STAFF,
        author_id=staff.id,
        body=text,
        answers_wait_from=conversation.waiting_since,
        created_at=now,
    )
    conversation.waiting_since = conversation.due_at = conversation.escalated_at = None
    if conversation.assigned_to_id is None:
        conversation.assigned_to_id = staff.id
    conversation.updated_at = now
    db.session.add(message)
    db.session.flush()
    return message


def desk_queue(waiting_only: bool = True, limit: int = 200) -> list[Conversation]:
    """Conversations waiting for an answer, the nearest deadline first (then the rest, latest first)."""
    stmt = select(Conversation)
    if waiting_only:
        stmt = stmt.where(Conversation.waiting_since.is_not(None)).order_by(
            Conversation.due_at, Conversation.id
        )
    else:
        stmt = stmt.order_by(
            Conversation.waiting_since.is_(None), Conversation.due_at, Conversation.updated_at.desc()
        )
    return list(db.session.scalars(stmt.limit(limit)))


def is_late(conversation: Conversation, now: datetime) -> bool:
    return conversation.due_at is not None and conversation.due_at < now


def claim(conversation: Conversation, staff: StaffUser) -> None:
    conversation.assigned_to_id = staff.id


def assign(conversation: Conversation, assignee_id: int) -> None:
    """Give the conversation to an active reviewer or senior (SupportError "bad_assignee" otherwise)."""
    assignee = db.session.get(StaffUser, assignee_id)
    if assignee is None or not assignee.active or not assignee.has_role(*REVIEW_ROLES):
        raise SupportError("bad_assignee")
    conversation.assigned_to_id = assignee.id


def desk_staff() -> list[StaffUser]:
    """Who may answer conversations (for the assign list)."""
    return [
        user
        for user in db.session.scalars(
            select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)
        )
        if user.has_role(*REVIEW_ROLES)
    ]


def escalate_late(now: datetime) -> int:
    """Hand each late, not yet escalated conversation to a senior; returns how many (the worker's clock)."""
    late = db.session.scalars(
        select(Conversation).where(
            Conversation.due_at < now,
            Conversation.waiting_since.is_not(None),
            Conversation.escalated_at.is_(None),
        )
    ).all()
    for conversation in late:
        senior = pick_senior([])
        conversation.escalated_at = now
        if senior is not None:
            conversation.assigned_to_id = senior.id
    return len(late)


@dataclass(frozen=True)
class Escalated:
    """What was escalated to one staff member and still waits for them (the console's notice)."""

    conversations: int
    complaints: int

    def __bool__(self) -> bool:
        return bool(self.conversations or self.complaints)


def escalated_to(staff_id: int) -> Escalated:
    """Late conversations (still unanswered) and complaints (still open) escalated and assigned to them."""
    conversations = db.session.scalar(
        select(func.count(Conversation.id)).where(
            Conversation.assigned_to_id == staff_id,
            Conversation.escalated_at.is_not(None),
            Conversation.waiting_since.is_not(None),
        )
    )
    complaints = db.session.scalar(
        select(func.count(Complaint.id)).where(
            Complaint.assigned_to_id == staff_id,
            Complaint.escalated_at.is_not(None),
            Complaint.closed_at.is_(None),
        )
    )
    return Escalated(int(conversations or 0), int(complaints or 0))


def customer_records(customer_id: int, focus_order_id: int | None) -> tuple[list[Order], list[RefundCase]]:
    """The customer's orders (the conversation's own first) and cases, shown beside it on the desk."""
    focus = Order.id == (focus_order_id or 0)
    orders = list(
        db.session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(focus.desc(), Order.id.desc())
            .limit(20)
        )
    )
    cases = list(
        db.session.scalars(
            select(RefundCase)
            .where(RefundCase.customer_id == customer_id)
            .order_by(RefundCase.id.desc())
            .limit(20)
        )
    )
    return orders, cases


# -- figures for seniors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    answers: int
    answered_in_time: int
    open_by_age: dict[str, int]  # conversations waiting for an answer
    complaints_by_age: dict[str, int]  # complaints not yet closed
    green_channel: dict[str, int]  # requests for priority: pending, granted, declined

    @property
    def in_time_percent(self) -> float | None:
        return round(100 * self.answered_in_time / self.answers, 1) if self.answers else None


# The 24-hour line is the source's; the 4-hour bucket is a platform choice for reading the queue.
AGE_BUCKETS = (("under_4h", 4), ("under_24h", 24), ("over_24h", None))


def _by_age(starts, now: datetime) -> dict[str, int]:
    counts = dict.fromkeys((name for name, _ in AGE_BUCKETS), 0)
    for since in starts:
        hours = (now - since).total_seconds() / 3600
        counts[next(n for n, limit in AGE_BUCKETS if limit is None or hours < limit)] += 1
    return counts


def figures(now: datetime) -> Figures:
    """Answers within 24 hours (of all answers that ended a wait), open conversations and complaints by
    age, and requests for priority by outcome."""
    answers = db.session.execute(
        select(SupportMessage.created_at, SupportMessage.answers_wait_from).where(
            SupportMessage.answers_wait_from.is_not(None)
        )
    ).all()
    in_time = sum(1 for at, since in answers if at - since <= deadlines.SUPPORT_ANSWER)
    waiting = db.session.scalars(
        select(Conversation.waiting_since).where(Conversation.waiting_since.is_not(None))
    )
    complaints = db.session.scalars(select(Complaint.created_at).where(Complaint.closed_at.is_(None)))
    green = dict.fromkeys(("pending", "granted", "declined"), 0)
    for status, count in db.session.execute(
        select(GreenChannelRequest.status, func.count(GreenChannelRequest.id)).group_by(
            GreenChannelRequest.status
        )
    ):
        green[status] = count
    return Figures(len(answers), in_time, _by_age(waiting, now), _by_age(complaints, now), green)
