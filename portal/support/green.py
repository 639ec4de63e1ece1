"""Green channel (绿色通道) on request: a customer asks for priority on an open case; a senior decides.

Granting puts the case in the green channel exactly as staff marking it urgent does (staff.services:
first in the queue, review due within one working day). Seniors answer a request within
deadlines.GREEN_REQUEST_ANSWER: a platform choice (the source gives no number for this), the same 24 clock
hours as customer service's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.cases import deadlines
from portal.cases.auditlog import append_event
from portal.cases.models import RefundCase
from portal.cases.states import Actor
from portal.extensions import db
from portal.policy.publishing import case_policy, ruleset_of
from portal.staff import services as staff_services
from portal.support.models import GreenChannelRequest
from portal.support.services import SupportError

REASON_MIN, REASON_MAX = 5, 500
PENDING, GRANTED, DECLINED = "pending", "granted", "declined"


@dataclass(frozen=True)
class Status:
    """What 退款进度 says about the green channel for a case."""

    green: bool
    why: str  # high_value, granted, staff, "" when not green
    threshold_fen: int
    request: GreenChannelRequest | None
    can_request: bool


def latest_request(case_id: int) -> GreenChannelRequest | None:
    return db.session.scalar(
        select(GreenChannelRequest)
        .where(GreenChannelRequest.case_id == case_id)
        .order_by(GreenChannelRequest.id.desc())
        .limit(1)
    )


def status(case: RefundCase) -> Status:
    """Whether the case is in the green channel and why; whether the customer may still ask for it."""
    request = latest_request(case.id)
    threshold = ruleset_of(case_policy(case)).green_channel_fen
    why = ""
    if case.green_channel:
        if request is not None and request.status == GRANTED:
            why = "granted"
        elif case.urgent:
            why = "staff"
        else:
            why = "high_value"
    can = case.is_open and not case.green_channel and (request is None or request.status == DECLINED)
    return Status(bool(case.green_channel), why, threshold, request, can)


def ask(case: RefundCase, customer_id: int, reason: str, now: datetime) -> GreenChannelRequest:
    """The customer asks for priority; logged on the case. Raises SupportError (the caller commits)."""
    text = (reason or "").strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise SupportError("green_reason", min=REASON_MIN, max=REASON_MAX)
    if not status(case).can_request:
        raise SupportError("green_not_open")
    request = GreenChannelRequest(
        case_id=case.id,
        customer_id=customer_id,
        reason=text,
        requested_at=now,
        due_at=deadlines.green_request_due(now),
    )
    db.session.add(request)
    append_event(case, "green_channel_requested", Actor.CUSTOMER, customer_id, case.state, case.state, text)
    case.updated_at = now  # 退款进度 shows the request
    return request


def pending() -> list[GreenChannelRequest]:
    """Requests waiting for a senior, the nearest deadline first."""
    return list(
        db.session.scalars(
            select(GreenChannelRequest)
            .where(GreenChannelRequest.status == PENDING)
            .order_by(GreenChannelRequest.due_at, GreenChannelRequest.id)
        )
    )


def decide(request: GreenChannelRequest, staff: StaffUser, grant: bool, answer: str, now: datetime) -> None:
    """Grant (the case goes to the green channel) or decline with an answer; commits (SupportError if not)."""
    if request.status != PENDING:
        raise SupportError("green_decided")
    case = request.case
    request.status = GRANTED if grant and case.is_open else DECLINED
    request.decided_by_id, request.decided_at, request.answer = (
        staff.id,
        now,
        (answer or "").strip()[:REASON_MAX],
    )
    case.updated_at = now
    if request.status == GRANTED:
        try:
            staff_services.mark_urgent(case, case.version, staff)  # logs "green_channel" and commits
        except staff_services.DecisionError as exc:
            raise SupportError("green_decided") from exc
        return
    append_event(
        case, "green_channel_declined", Actor.STAFF, staff.id, case.state, case.state, request.answer
    )
    db.session.commit()
