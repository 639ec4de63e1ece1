"""A payout as pages show it: status line, route, amount, reference, times and expected arrival."""

from dataclasses import dataclass
from datetime import datetime

from portal.cases import deadlines
from portal.orders.kinds import PaymentRoute
from portal.orders.labels import PAYMENT_ROUTE
from portal.payouts import labels
from portal.payouts.manual import CONFIRMED, NOT_ARRIVED, needs_account
from portal.payouts.models import Payout
from portal.payouts.states import PayoutState


@dataclass(frozen=True)
class PayoutView:
    payout_id: int
    case_id: int
    status: str  # a key of labels.CUSTOMER_STATUS
    status_label: str
    route_label: str
    amount_fen: int
    request_no: str
    reference: str  # the gateway's refund id, or staff's transfer reference
    started_at: datetime | None
    refunded_at: datetime | None
    arrival_from: datetime | None  # expected arrival window (end of day, naive UTC)
    arrival_to: datetime | None
    account_masked: str
    account_kind_label: str
    needs_account: bool
    may_report_arrival: bool  # refunded, not yet confirmed by the customer
    arrival_status: str | None
    arrival_days: tuple[int, int]  # working days the route usually takes

    @property
    def refunded(self) -> bool:
        return self.status == "refunded"

    @property
    def arrived_confirmed(self) -> bool:
        return self.arrival_status == CONFIRMED

    @property
    def reported_missing(self) -> bool:
        return self.arrival_status == NOT_ARRIVED


def customer_status(payout: Payout) -> str:
    """The one status line the customer sees; manual handling stays "executing" for them."""
    if payout.state == PayoutState.SUCCEEDED:
        return "refunded"
    if payout.route == PaymentRoute.OFFLINE:
        return "awaiting_account" if payout.receiving_account is None else "staff_transfer"
    return "executing"


def started_at(payout: Payout) -> datetime | None:
    """When the money started to move: accepted by the gateway, or paid by staff."""
    if payout.transfer is not None:
        return payout.transfer.created_at
    return payout.submitted_at


def present(payout: Payout) -> PayoutView:
    """The view of one payout, for the customer's pages and the staff's."""
    status = customer_status(payout)
    start = started_at(payout)
    window = deadlines.arrival_window(start, payout.route) if start else (None, None)
    account = payout.receiving_account
    reference = payout.transfer.reference if payout.transfer else payout.gateway_ref
    return PayoutView(
        payout_id=payout.id,
        case_id=payout.case_id,
        status=status,
        status_label=str(labels.CUSTOMER_STATUS[status]),
        route_label=str(PAYMENT_ROUTE[payout.route]),
        amount_fen=payout.amount_fen,
        request_no=payout.request_no,
        reference=reference,
        started_at=start,
        refunded_at=payout.succeeded_at,
        arrival_from=window[0],
        arrival_to=window[1],
        account_masked=account.masked_number if account else "",
        account_kind_label=str(labels.ACCOUNT_KIND[account.kind]) if account else "",
        needs_account=needs_account(payout),
        may_report_arrival=payout.state == PayoutState.SUCCEEDED and payout.arrival_status != CONFIRMED,
        arrival_status=payout.arrival_status,
        arrival_days=deadlines.ARRIVAL_WORKING_DAYS[PaymentRoute(payout.route)],
    )
