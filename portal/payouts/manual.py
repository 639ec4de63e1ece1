"""Payouts people make: offline transfers (线下转账), staff's manual payouts and retries, the customer's word.

Offline: the customer gives a receiving account → the payout goes to the staff queue (manual) and
the case to 退款执行中 → staff transfer by hand and record the reference and a proof → 已退款 →
the customer confirms receipt, or says it did not arrive (back to staff).

A gateway payout that failed N times is manual too. Before staff pay it by hand, the gateway is
asked once more: only a refund the gateway reports failed (or never received) may be paid by hand,
otherwise the money could go back twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from portal import outbox
from portal.cases.auditlog import append_event
from portal.cases.models import RefundCase
from portal.cases.services import move
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.evidence.inspect import ProcessedFile
from portal.evidence.storage import Storage
from portal.extensions import db
from portal.orders.kinds import PaymentRoute
from portal.payouts.gateways import QueryStatus
from portal.payouts.jobs import execute_payout
from portal.payouts.models import ManualTransfer, Payout, ReceivingAccount
from portal.payouts.receiving import Account, mask
from portal.payouts.services import (
    PayoutError,
    PayoutSettings,
    apply_success,
    lock_case,
    lock_payout,
)
from portal.payouts.services import query as query_gateway
from portal.payouts.states import PayoutState, SuccessSource

log = logging.getLogger(__name__)

CONFIRMED = "confirmed"
NOT_ARRIVED = "not_arrived"
RESOLVED = "resolved"


def customer_payout(customer_id: int, case_id: int) -> Payout | None:
    """The payout of the customer's own case; None for anyone else's (the caller answers 404)."""
    return db.session.scalar(
        select(Payout).where(Payout.case_id == case_id, Payout.customer_id == customer_id)
    )


def needs_account(payout: Payout) -> bool:
    """An offline payout that staff cannot pay until the customer says where."""
    return (
        payout.route == PaymentRoute.OFFLINE
        and payout.state != PayoutState.SUCCEEDED
        and payout.transfer is None
    )


def set_receiving_account(payout_id: int, customer_id: int, account: Account) -> Payout:
    """Store (or correct, until paid) where an offline refund goes; queues it for staff. Commits."""
    payout = lock_payout(payout_id)
    if payout is None or payout.customer_id != customer_id:
        db.session.rollback()
        raise PayoutError("not_found")
    if not needs_account(payout):
        db.session.rollback()
        raise PayoutError("account_locked")
    now = utcnow()
    row = payout.receiving_account or ReceivingAccount(payout_id=payout.id, created_at=now)
    changed = payout.receiving_account is not None
    row.kind, row.holder_name, row.account_no, row.bank_name = (
        account.kind,
        account.holder,
        account.number,
        account.bank,
    )
    row.updated_at = now
    db.session.add(row)
    case = lock_case(payout)
    data = {"payout_id": payout.id, "kind": str(account.kind), "account": mask(account.kind, account.number)}
    append_event(
        case,
        "receiving_account_changed" if changed else "receiving_account",
        Actor.CUSTOMER,
        customer_id,
        None,
        None,
        data=data,
    )
    if payout.state == PayoutState.PENDING:
        payout.state = PayoutState.MANUAL
        payout.manual_at = now
        if case.state == CaseState.APPROVED:
            move(
                case,
                CaseState.EXECUTING,
                Actor.SYSTEM,
                None,
                data={"payout_id": payout.id, "route": "offline"},
            )
    payout.updated_at = now
    db.session.commit()
    return payout


@dataclass(frozen=True)
class TransferRecord:
    reference: str
    note: str
    proof: ProcessedFile


def record_transfer(
    payout_id: int, staff_id: int, record: TransferRecord, storage: Storage, settings: PayoutSettings
) -> Payout:
    """Staff paid by hand: keep reference and proof; the case is refunded. Commits; raises PayoutError."""
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        raise PayoutError("not_found")
    if payout.route != PaymentRoute.OFFLINE and payout.state == PayoutState.MANUAL:
        # Paying by hand while the gateway might still pay would pay twice: ask it first.
        status = query_gateway(payout.id, settings)
        if status not in (QueryStatus.FAILED, QueryStatus.NOT_FOUND, None):
            raise PayoutError("gateway_paid" if status is QueryStatus.SUCCEEDED else "gateway_unsure")
    payout = lock_payout(payout_id)
    if payout.state == PayoutState.SUCCEEDED or payout.transfer is not None:
        db.session.rollback()
        raise PayoutError("already_paid")
    if payout.state != PayoutState.MANUAL:
        db.session.rollback()
        raise PayoutError("not_manual" if payout.route != PaymentRoute.OFFLINE else "account_missing")
    reference = record.reference.strip()
    taken = db.session.scalar(
        select(ManualTransfer.id).where(
            ManualTransfer.route == str(payout.route), ManualTransfer.reference == reference
        )
    )
    if taken is not None:
        db.session.rollback()
        raise PayoutError("reference_used")
    try:
        key = storage.save(record.proof.data, record.proof.extension)
    except OSError as exc:
        db.session.rollback()  # nothing recorded: the payout stays manual, staff try again
        log.error("transfer proof not stored: the storage refused the write: %s", exc)
        raise PayoutError("storage_failed") from exc
    db.session.add(
        ManualTransfer(
            payout_id=payout.id,
            staff_id=staff_id,
            route=str(payout.route),
            reference=reference,
            note=record.note.strip(),
            proof_key=key,
            proof_mime=record.proof.mime,
            proof_sha256=record.proof.sha256,
            paid_to=_account_snapshot(payout.receiving_account),
        )
    )
    apply_success(payout, SuccessSource.MANUAL, reference, staff_id=staff_id)
    db.session.commit()
    return payout


def _account_snapshot(account: ReceivingAccount | None) -> str:
    if account is None:
        return ""
    parts = (str(account.kind), account.account_no, account.holder_name, account.bank_name)
    return " ".join(p for p in parts if p)[:200]


def retry_through_gateway(payout_id: int, staff_id: int, note: str = "") -> Payout:
    """Staff send a manual gateway payout again (same request number), with a fresh set of tries. Commits."""
    payout = lock_payout(payout_id)
    if payout is None or payout.route == PaymentRoute.OFFLINE or payout.state != PayoutState.MANUAL:
        db.session.rollback()
        raise PayoutError("not_manual")
    now = utcnow()
    payout.state = PayoutState.RETRIED
    payout.failures = 0
    payout.next_attempt_at = now
    payout.manual_at = None
    payout.updated_at = now
    case = lock_case(payout)
    if case.state == CaseState.MANUAL:
        move(
            case,
            CaseState.EXECUTING,
            Actor.STAFF,
            staff_id,
            reason=note,
            data={"payout_id": payout.id, "retry": True},
        )
    outbox.add_job(execute_payout, payout.id, case_id=case.id)
    db.session.commit()
    return payout


def close_refunded(payout_id: int, staff_id: int) -> Payout:
    """The gateway paid after manual handling began: staff close the case as refunded. Commits."""
    payout = lock_payout(payout_id)
    case = lock_case(payout) if payout is not None else None
    if payout is None or payout.state != PayoutState.SUCCEEDED or case.state != CaseState.MANUAL:
        db.session.rollback()
        raise PayoutError("not_manual")
    move(
        case,
        CaseState.REFUNDED,
        Actor.STAFF,
        staff_id,
        data={"payout_id": payout.id, "request_no": payout.request_no},
    )
    db.session.commit()
    return payout


def report_arrival(payout_id: int, customer_id: int, arrived: bool, note: str = "") -> Payout:
    """The customer confirms receipt, or says the money did not arrive (staff then look into it). Commits."""
    payout = lock_payout(payout_id)
    if payout is None or payout.customer_id != customer_id:
        db.session.rollback()
        raise PayoutError("not_found")
    if payout.state != PayoutState.SUCCEEDED or payout.arrival_status == CONFIRMED:
        db.session.rollback()
        raise PayoutError("not_refunded" if payout.state != PayoutState.SUCCEEDED else "already_confirmed")
    now = utcnow()
    payout.arrival_status = CONFIRMED if arrived else NOT_ARRIVED
    payout.arrival_reported_at = now
    payout.arrival_note = note.strip()[:500]
    payout.updated_at = now
    case = lock_case(payout)
    action = "refund_received" if arrived else "refund_not_arrived"
    append_event(
        case,
        action,
        Actor.CUSTOMER,
        customer_id,
        None,
        None,
        reason=payout.arrival_note,
        data={"payout_id": payout.id},
    )
    db.session.commit()
    return payout


def resolve_arrival(payout_id: int, staff_id: int, note: str) -> Payout:
    """Staff answer a "did not arrive" report (what they found, what they did). Commits."""
    payout = lock_payout(payout_id)
    if payout is None or payout.arrival_status != NOT_ARRIVED:
        db.session.rollback()
        raise PayoutError("nothing_to_resolve")
    payout.arrival_status = RESOLVED
    payout.updated_at = utcnow()
    case = lock_case(payout)
    append_event(
        case,
        "refund_arrival_resolved",
        Actor.STAFF,
        staff_id,
        None,
        None,
        reason=note.strip(),
        data={"payout_id": payout.id},
    )
    db.session.commit()
    return payout


STUCK_AFTER = timedelta(hours=24)


@dataclass
class StaffQueue:
    """The payouts staff must look at, by what they need."""

    to_pay: list[Payout]  # manual: pay by hand (or send again through the gateway)
    to_close: list[Payout]  # the gateway paid after manual handling began
    not_arrived: list[Payout]  # the customer says the money did not arrive
    awaiting_account: list[Payout]  # offline: the customer has not said where to send it yet
    troubled: list[Payout]  # still automatic, but failing, timing out or stuck in submitted

    @property
    def total(self) -> int:
        return len(self.to_pay) + len(self.to_close) + len(self.not_arrived)


def staff_queue(now: datetime | None = None, limit: int = 200) -> StaffQueue:
    """What staff must act on, oldest first."""
    now = now or utcnow()

    def rows(*where) -> list[Payout]:
        return list(db.session.scalars(select(Payout).where(*where).order_by(Payout.created_at).limit(limit)))

    return StaffQueue(
        to_pay=rows(Payout.state == PayoutState.MANUAL),
        to_close=rows(
            Payout.state == PayoutState.SUCCEEDED,
            Payout.case_id.in_(select(RefundCase.id).where(RefundCase.state == CaseState.MANUAL)),
        ),
        not_arrived=rows(Payout.arrival_status == NOT_ARRIVED),
        awaiting_account=rows(Payout.route == PaymentRoute.OFFLINE, Payout.state == PayoutState.PENDING),
        troubled=rows(
            Payout.route != PaymentRoute.OFFLINE,
            or_(
                Payout.state.in_((PayoutState.FAILED, PayoutState.RETRIED)),
                (Payout.state == PayoutState.PENDING) & (Payout.attempts > 0),
                (Payout.state == PayoutState.SUBMITTED) & (Payout.submitted_at < now - STUCK_AFTER),
            ),
        ),
    )
