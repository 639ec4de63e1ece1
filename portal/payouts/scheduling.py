"""Starting a payout when a case is approved: the payout row and its job, in the approving transaction.

Subscribed to the case core's `case_approved` (portal.cases.events) from the app factory: the core
approves a case without knowing payouts exist.
"""

from portal import outbox
from portal.cases.events import CaseMove, case_approved
from portal.cases.models import RefundCase
from portal.cases.services import announce
from portal.clock import utcnow
from portal.extensions import db
from portal.orders.kinds import PaymentRoute
from portal.payouts.jobs import execute_payout
from portal.payouts.models import Payout
from portal.payouts.services import PayoutError, check_ledger, lock_order, new_request_no, payout_for_case
from portal.payouts.states import PayoutState


def subscribe() -> None:
    """Called by the app factory."""
    case_approved.connect(on_case_approved)


def on_case_approved(move: CaseMove) -> None:
    schedule_payout(move.case)


def schedule_payout(case: RefundCase) -> Payout:
    """In the approving transaction: the payout row (request number included) and its outbox job, once."""
    existing = payout_for_case(case.id)
    if existing is not None:
        return existing
    amount = case.approved_fen if case.approved_fen is not None else case.requested_fen
    order = lock_order(case.order_id)
    if amount is None or amount <= 0:
        raise PayoutError("nothing_to_pay")
    check_ledger(order, case, amount)
    now = utcnow()
    payout = Payout(
        case_id=case.id,
        order_id=order.id,
        customer_id=case.customer_id,
        request_no=new_request_no(now),
        amount_fen=amount,
        route=order.payment_route,
        state=PayoutState.PENDING,
        created_at=now,
        updated_at=now,
    )
    db.session.add(payout)
    db.session.flush()
    if payout.route == PaymentRoute.OFFLINE:
        # Staff pay offline refunds by hand, to an account the customer gives us first.
        announce(case, "payout_account_needed")
    else:
        outbox.add_job(execute_payout, payout.id, case_id=case.id)
    return payout
