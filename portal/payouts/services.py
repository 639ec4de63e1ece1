"""Executing approved refunds through the gateways, at most once, whatever retries or crashes happen.

Why it cannot pay twice:
- one payout row per case (unique case_id), created in the approving transaction, with a request
  number generated once; every submission and retry sends that same number, and the gateway
  refunds a number at most once;
- a worker leases the payout before it calls the gateway, so a second worker skips it;
- success is believed only from the query API or a verified notification, applied under the
  payout's row lock; a second report finds the payout succeeded and changes nothing;
- the order's refunded total is raised under SELECT … FOR UPDATE and never above what was paid,
  and a new payout is refused when it would take the order's refunds above what was paid.

Lock order (avoids deadlocks with approvals): payout row → case row → audit-log head (inside move)
→ order row.
"""

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, update

from portal.cases.auditlog import append_event
from portal.cases.models import RefundCase
from portal.cases.services import CaseError, move, order_ledger
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.orders.kinds import PaymentRoute
from portal.orders.ledger import OverRefund
from portal.orders.models import Order
from portal.payouts import gateways
from portal.payouts.gateways import (
    InvalidNotification,
    NoGateway,
    QueryStatus,
    RefundOrder,
    SubmitKind,
    SubmitOutcome,
)
from portal.payouts.models import Payout, PayoutNotice
from portal.payouts.states import (
    DEFAULT_RETRY_DELAYS,
    OUTSTANDING,
    SUBMITTABLE,
    PayoutState,
    SuccessSource,
    after_failure,
    may_submit,
    retry_delay,
)

log = logging.getLogger(__name__)

# The outbox job normally starts a payout within seconds; the periodic poll takes over after this.
START_GRACE = timedelta(seconds=60)


class PayoutError(CaseError):
    """A payout could not be made or changed; `.code` says why (a CaseError, so case views show it)."""


@dataclass(frozen=True)
class PayoutSettings:
    """The payout settings, read from the app config by the caller (this module does not import Flask)."""

    gateway_config: Mapping
    max_failures: int = 3
    retry_delays: tuple[int, ...] = DEFAULT_RETRY_DELAYS
    query_after: timedelta = timedelta(seconds=60)
    lease: timedelta = timedelta(seconds=120)
    notify_base_url: str = "http://127.0.0.1:5000"
    extra: Mapping = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping) -> "PayoutSettings":
        return cls(
            gateway_config=config,
            max_failures=int(config.get("PAYOUT_MAX_FAILURES", 3)),
            retry_delays=tuple(int(s) for s in config.get("PAYOUT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)),
            query_after=timedelta(seconds=float(config.get("PAYOUT_QUERY_AFTER", 60))),
            lease=timedelta(seconds=float(config.get("PAYOUT_LEASE_SECONDS", 120))),
            notify_base_url=str(config.get("PAYOUT_NOTIFY_BASE_URL", "http://127.0.0.1:5000")),
        )

    def gateway(self, route: str) -> gateways.RefundGateway:
        return gateways.build_gateway(route, self.gateway_config)

    def notify_url(self, route: str) -> str:
        return f"{self.notify_base_url.rstrip('/')}/payouts/notify/{route}"


# Scheduling -------------------------------------------------------------------------------------


def payout_for_case(case_id: int) -> Payout | None:
    """The case's payout, if it was approved."""
    return db.session.scalar(select(Payout).where(Payout.case_id == case_id))


def new_request_no(now: datetime) -> str:
    """RP + date + 12 random hex digits: unique, ≤ 64 characters of [0-9A-Z] as every provider accepts."""
    return "RP" + now.strftime("%Y%m%d") + secrets.token_hex(6).upper()


def outstanding_fen(order_id: int) -> int:
    """Money promised by payouts on the order that have not succeeded yet."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_fen), 0)).where(
            Payout.order_id == order_id, Payout.state.in_(OUTSTANDING)
        )
    )


def _outstanding_of_closed_cases(order_id: int, case_id: int) -> int:
    """Outstanding payouts whose case is no longer open (the open cases' claims are counted by the ledger)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_fen), 0))
        .join(RefundCase, RefundCase.id == Payout.case_id)
        .where(
            Payout.order_id == order_id,
            Payout.state.in_(OUTSTANDING),
            Payout.case_id != case_id,
            RefundCase.is_open.is_(False),
        )
    )


def check_ledger(order: Order, case: RefundCase, amount_fen: int) -> None:
    """Under the order's row lock: the amount must fit in what the order can still give back."""
    ledger = order_ledger(order, excluding_case_id=case.id)
    ledger = ledger.with_reserved(_outstanding_of_closed_cases(order.id, case.id))
    try:
        ledger.check(amount_fen)
    except OverRefund as exc:
        raise PayoutError("exceeds_refundable", remaining_fen=exc.remaining_fen) from exc


# Locks ------------------------------------------------------------------------------------------


def lock_payout(payout_id: int) -> Payout | None:
    """The payout, locked for this transaction and freshly read.

    The UPDATE comes first so that SQLite takes its write lock before anything is read (no stale
    read, no lock upgrade); on PostgreSQL it (and FOR UPDATE) locks the row.
    """
    db.session.execute(
        update(Payout).where(Payout.id == payout_id).values(lock_seq=Payout.lock_seq + 1),
        # A lock, not a change: no page shows lock_seq (portal.pagecache).
        execution_options={"synchronize_session": False, "page_owner": None},
    )
    return db.session.scalar(
        select(Payout)
        .where(Payout.id == payout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_case(payout: Payout) -> RefundCase:
    """The payout's case, locked and freshly read (its version is then current)."""
    return db.session.get(RefundCase, payout.case_id, with_for_update=True, populate_existing=True)


def lock_order(order_id: int) -> Order:
    """SELECT … FOR UPDATE on the order row only (its product is joined, and stays unlocked)."""
    return db.session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )


# Execution --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    """A leased payout, ready to be sent: the gateway call happens outside any transaction."""

    payout_id: int
    token: str
    route: str
    refund: RefundOrder


def refund_order(payout: Payout, order: Order, settings: PayoutSettings) -> RefundOrder:
    return RefundOrder(
        request_no=payout.request_no,
        trade_no=order.number,
        amount_fen=payout.amount_fen,
        total_fen=order.amount_fen,
        notify_url=settings.notify_url(payout.route),
        payer_account=order.payment_account,
    )


def claim(payout_id: int, settings: PayoutSettings, now: datetime | None = None) -> Ticket | None:
    """Lease the payout for one submission, or None if it is not due or another worker holds it. Commits."""
    now = now or utcnow()
    payout = lock_payout(payout_id)
    leased = payout is not None and payout.lease_until is not None and payout.lease_until > now
    if (
        payout is None
        or payout.route == PaymentRoute.OFFLINE
        or leased
        or not may_submit(payout.state, payout.attempts, payout.next_attempt_at, now)
    ):
        db.session.rollback()
        return None
    token = secrets.token_hex(8)
    payout.lease_token, payout.lease_until = token, now + settings.lease
    payout.attempts += 1
    if payout.state == PayoutState.FAILED:
        payout.state = PayoutState.RETRIED
    payout.updated_at = now
    ticket = Ticket(payout.id, token, str(payout.route), refund_order(payout, payout.order, settings))
    db.session.commit()
    return ticket


def execute(payout_id: int, settings: PayoutSettings, now: datetime | None = None) -> str:
    """Send the payout to its gateway if it is due; record what the gateway said. Safe to run twice."""
    ticket = claim(payout_id, settings, now)
    if ticket is None:
        return "skipped"
    try:
        outcome = settings.gateway(ticket.route).submit(ticket.refund)
    except Exception as exc:  # an adapter bug must not leave the lease hanging: treat as no answer
        log.exception("gateway submit crashed for payout %s", payout_id)
        outcome = SubmitOutcome(SubmitKind.UNKNOWN, "ADAPTER_ERROR", str(exc)[:200])
    record_submit(payout_id, ticket.token, outcome, settings)
    return str(outcome.kind)


def record_submit(payout_id: int, token: str, outcome: SubmitOutcome, settings: PayoutSettings) -> None:
    """Apply the gateway's answer to a submission (accepted is NOT success). Commits."""
    now = utcnow()
    payout = lock_payout(payout_id)
    own = payout.lease_token == token
    if own:
        payout.lease_token = payout.lease_until = None
    payout.updated_at = now
    if payout.state not in SUBMITTABLE or (not own and outcome.kind is not SubmitKind.ACCEPTED):
        # A notification or another worker got there first; this late answer adds nothing.
        db.session.commit()
        return
    if outcome.kind is SubmitKind.ACCEPTED:
        payout.state = PayoutState.SUBMITTED
        payout.submitted_at = now
        payout.gateway_ref = outcome.gateway_ref or payout.gateway_ref
        payout.next_attempt_at = None
        payout.last_query_at = None
        payout.last_error = ""
        case = lock_case(payout)
        if case.state == CaseState.APPROVED:
            move(case, CaseState.EXECUTING, Actor.SYSTEM, None, data=_payout_data(payout))
    elif outcome.kind is SubmitKind.REJECTED:
        _apply_failure(payout, outcome.code, outcome.message, settings, now)
    elif outcome.kind is SubmitKind.MANUAL:
        # The route has no API (no bank API configured): straight to the staff's manual transfers.
        _to_manual(
            payout, outcome.code, lock_case(payout), {**_payout_data(payout), "code": outcome.code}, now
        )
    else:
        # No answer: it may have arrived. Same number again later; the gateway will not pay twice.
        payout.last_error = f"{outcome.code}: {outcome.message}"[:500]
        payout.next_attempt_at = now + retry_delay(payout.attempts, settings.retry_delays)
    db.session.commit()


def _payout_data(payout: Payout) -> dict:
    return {
        "payout_id": payout.id,
        "route": str(payout.route),
        "amount_fen": payout.amount_fen,
        "request_no": payout.request_no,
        "gateway_ref": payout.gateway_ref,
    }


def _apply_failure(payout: Payout, code: str, message: str, settings: PayoutSettings, now: datetime) -> None:
    """A definite failure (money did not move under this attempt): retry later, or hand to staff."""
    payout.failures += 1
    payout.failed_at = now
    payout.last_error = f"{code}: {message}"[:500]
    payout.lease_token = payout.lease_until = None
    case = lock_case(payout)
    data = {**_payout_data(payout), "failures": payout.failures, "code": code}
    if after_failure(payout.failures, settings.max_failures) is PayoutState.MANUAL:
        _to_manual(payout, code, case, data, now)
        return
    payout.state = PayoutState.FAILED
    payout.next_attempt_at = now + retry_delay(payout.failures, settings.retry_delays)
    append_event(case, "payout_failed", Actor.SYSTEM, None, None, None, reason=code, data=data)


def _to_manual(payout: Payout, code: str, case: RefundCase, data: dict, now: datetime) -> None:
    """Staff pay this one by hand (retries spent, or the route has no API)."""
    payout.state = PayoutState.MANUAL
    payout.manual_at = now
    payout.next_attempt_at = None
    payout.last_error = payout.last_error or f"{code}: staff transfer"
    if case.state == CaseState.APPROVED:
        move(case, CaseState.EXECUTING, Actor.SYSTEM, None, data=data)
    if case.state == CaseState.EXECUTING:
        move(case, CaseState.MANUAL, Actor.SYSTEM, None, reason=code, data=data)


def apply_success(
    payout: Payout, source: SuccessSource, gateway_ref: str = "", staff_id: int | None = None
) -> bool:
    """Believe that the money went back (caller holds the payout lock): case refunded, order updated.

    Returns False when it was already known (a replay), changing nothing.
    """
    if payout.state == PayoutState.SUCCEEDED:
        return False
    now = utcnow()
    payout.state = PayoutState.SUCCEEDED
    payout.succeeded_at = now
    payout.success_source = source
    payout.gateway_ref = gateway_ref or payout.gateway_ref
    payout.next_attempt_at = None
    payout.lease_token = payout.lease_until = None
    payout.updated_at = now
    case = lock_case(payout)
    actor = Actor.STAFF if staff_id is not None else Actor.SYSTEM
    data = {**_payout_data(payout), "source": str(source)}
    if case.state == CaseState.APPROVED:
        move(case, CaseState.EXECUTING, actor, staff_id, data=data)
    if case.state == CaseState.EXECUTING or (case.state == CaseState.MANUAL and actor is Actor.STAFF):
        move(case, CaseState.REFUNDED, actor, staff_id, data=data)
    else:
        # Manual handling had begun: staff close the case once they see the gateway's word.
        append_event(case, "payout_succeeded", actor, staff_id, None, None, data=data)
    order = lock_order(payout.order_id)
    if order.refunded_fen + payout.amount_fen > order.amount_fen:
        # Cannot happen while scheduling checks the ledger; if it does, staff must see it, and the
        # order's check constraint forbids recording more than was paid.
        log.error("payout %s would take order %s past what was paid", payout.id, order.id)
    order.refunded_fen = min(order.amount_fen, order.refunded_fen + payout.amount_fen)
    return True


# Queries and notifications ----------------------------------------------------------------------


def query(payout_id: int, settings: PayoutSettings) -> QueryStatus | None:
    """Ask the gateway what became of the payout and apply a definite answer. Commits."""
    payout = db.session.get(Payout, payout_id)
    if payout is None or payout.route == PaymentRoute.OFFLINE or payout.state == PayoutState.SUCCEEDED:
        db.session.rollback()
        return None
    refund, route = refund_order(payout, payout.order, settings), str(payout.route)
    db.session.rollback()  # no transaction stays open while we wait for the gateway
    try:
        outcome = settings.gateway(route).query(refund)
    except Exception:
        log.exception("gateway query crashed for payout %s", payout_id)
        return QueryStatus.UNKNOWN
    now = utcnow()
    payout = lock_payout(payout_id)
    payout.last_query_at = now
    if outcome.status is QueryStatus.SUCCEEDED:
        if outcome.amount_fen is not None and outcome.amount_fen != payout.amount_fen:
            log.error(
                "payout %s: gateway reports %s fen, expected %s",
                payout.id,
                outcome.amount_fen,
                payout.amount_fen,
            )
            payout.last_error = f"AMOUNT_MISMATCH: gateway reported {outcome.amount_fen}"
        else:
            apply_success(payout, SuccessSource.QUERY, outcome.gateway_ref)
    elif outcome.status is QueryStatus.FAILED and payout.state in (
        PayoutState.SUBMITTED,
        PayoutState.PENDING,
    ):
        _apply_failure(payout, "REFUND_FAILED", "reported by the query API", settings, now)
    elif outcome.status is QueryStatus.NOT_FOUND and payout.state == PayoutState.SUBMITTED:
        # The gateway has no trace of it: send it again (same number) at once.
        payout.state = PayoutState.RETRIED
        payout.next_attempt_at = now
    elif outcome.status is QueryStatus.UNKNOWN:
        payout.last_error = f"QUERY_{outcome.code or 'UNKNOWN'}"
    db.session.commit()
    return outcome.status


class NoticeResult(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # already known: acknowledged, nothing changed
    REJECTED = "rejected"  # bad signature, wrong amount, unknown payout: nothing changed


def handle_notification(route: str, headers, body: bytes, settings: PayoutSettings) -> NoticeResult:
    """Verify a gateway's result notification and apply it once. Commits when something changed."""
    try:
        note = settings.gateway(route).parse_notification(headers, body)
    except (NoGateway, InvalidNotification) as exc:
        log.warning("payout notification refused (%s): %s", route, exc)
        return NoticeResult.REJECTED
    payout = db.session.scalar(select(Payout).where(Payout.request_no == note.request_no))
    if note.confirm_by_query and payout is not None and str(payout.route) == route:
        # The notification names the refund but does not prove it: the query API decides.
        payout_id, known = payout.id, payout.state == PayoutState.SUCCEEDED
        db.session.rollback()
        if known:
            return NoticeResult.DUPLICATE
        status = query(payout_id, settings)
        return NoticeResult.APPLIED if status is QueryStatus.SUCCEEDED else NoticeResult.DUPLICATE
    if (
        payout is None
        or str(payout.route) != route
        or note.amount_fen != payout.amount_fen
        or note.trade_no != payout.order.number  # a notification without our order number is refused
    ):
        log.warning("payout notification refused: %s does not match our records", note.request_no)
        db.session.rollback()
        return NoticeResult.REJECTED
    payout = lock_payout(payout.id)
    seen = db.session.scalar(
        select(PayoutNotice.id).where(
            PayoutNotice.payout_id == payout.id, PayoutNotice.notify_id == note.notify_id
        )
    )
    changed = False
    if seen is None:
        if note.succeeded:
            changed = apply_success(payout, SuccessSource.NOTIFY, note.gateway_ref)
        elif payout.state in (PayoutState.SUBMITTED, PayoutState.PENDING):
            _apply_failure(
                payout, note.reason or "REFUND_FAILED", "reported by notification", settings, utcnow()
            )
            changed = True
    if not changed:
        db.session.rollback()
        return NoticeResult.DUPLICATE
    db.session.add(
        PayoutNotice(
            payout_id=payout.id,
            notify_id=note.notify_id,
            succeeded=note.succeeded,
            amount_fen=note.amount_fen,
        )
    )
    db.session.commit()
    return NoticeResult.APPLIED


def notification_reply(route: str, result: NoticeResult, settings: PayoutSettings) -> tuple[int, str, str]:
    """(status, body, mimetype) in the provider's own terms: "success" also for a replay, "fail" otherwise."""
    try:
        gateway = settings.gateway(route)
    except NoGateway:
        return 400, "fail", "text/plain"
    return gateway.notification_reply(result is not NoticeResult.REJECTED)


# The periodic sweep ------------------------------------------------------------------------------


def due_submissions(now: datetime, limit: int) -> list[int]:
    """Payouts to send now: first tries the outbox job has not started, and retries whose time has come."""
    free = or_(Payout.lease_until.is_(None), Payout.lease_until <= now)
    return list(
        db.session.scalars(
            select(Payout.id)
            .where(
                Payout.route != PaymentRoute.OFFLINE,
                Payout.state.in_(SUBMITTABLE),
                free,
                or_(
                    (Payout.attempts == 0) & (Payout.created_at <= now - START_GRACE),
                    (Payout.attempts > 0) & (Payout.next_attempt_at <= now),
                ),
            )
            .order_by(Payout.id)
            .limit(limit)
        )
    )


def stuck_submissions(now: datetime, settings: PayoutSettings, limit: int) -> list[int]:
    """Submitted payouts we have not heard of for a while: ask the query API."""
    heard = func.coalesce(Payout.last_query_at, Payout.submitted_at)
    return list(
        db.session.scalars(
            select(Payout.id)
            .where(Payout.state == PayoutState.SUBMITTED, heard <= now - settings.query_after)
            .order_by(heard)
            .limit(limit)
        )
    )


def poll(settings: PayoutSettings, now: datetime | None = None, limit: int = 50) -> dict:
    """Start or retry due payouts and query stuck ones; what the clock runs every few seconds."""
    now = now or utcnow()
    sent = [execute(pid, settings, now) for pid in due_submissions(now, limit)]
    db.session.rollback()
    queried = [query(pid, settings) for pid in stuck_submissions(now, settings, limit)]
    db.session.rollback()
    return {"submitted": len(sent), "queried": len(queried)}
