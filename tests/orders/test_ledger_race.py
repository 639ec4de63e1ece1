"""Under concurrency the ledger holds: two approvals race on PostgreSQL, the order never pays back more
than was paid; and the database itself refuses a refunded total above what was paid (both databases)."""

import multiprocessing
import os

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.extensions import db
from portal.orders.models import Order
from portal.payouts.models import Payout
from portal.policy.kinds import RefundType
from tests.factories import open_case, situation_order

POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql"))


def approve_in_own_process(config: dict, case_id: int, version: int, username: str, amount, barrier, results):
    """A separate app and connection, approving once both are ready."""
    from portal import create_app
    from portal.accounts.models import StaffUser
    from portal.staff import services

    app = create_app(config)
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        case = db.session.get(RefundCase, case_id)
        barrier.wait(timeout=30)
        try:
            services.approve(case, version, staff, services.Approval(amount, "race"))
            results.put((username, "won"))
        except services.DecisionError as error:
            results.put((username, error.code))
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (DATABASE_URL); the CI runs it there")
def test_two_approvals_racing_pay_back_once_and_never_more_than_paid(app, world):
    keys = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "TESTING", "UPLOAD_FOLDER")
    config = {key: app.config[key] for key in keys} | {"RQ_ENABLED": False}
    context = multiprocessing.get_context("spawn")
    order = situation_order("game_card_wrong_account")
    case = open_case(order, refund_type=RefundType.CUSTOMER_ERROR)
    case_id, version, order_id, paid = case.id, case.version, order.id, order.amount_fen
    db.session.commit()
    barrier, results = context.Barrier(2), context.Queue()
    # One approves in full, the other a partial: whichever wins, only one amount is ever paid out.
    racers = [("reviewer", None), ("reviewer2", paid // 3)]
    workers = [
        context.Process(
            target=approve_in_own_process, args=(config, case_id, version, name, amount, barrier, results)
        )
        for name, amount in racers
    ]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert sorted(outcomes.values()) == ["stale", "won"], outcomes
    db.session.expire_all()
    payouts = db.session.scalars(select(Payout).where(Payout.order_id == order_id)).all()
    decided = db.session.get(RefundCase, case_id)
    assert decided.state == CaseState.APPROVED
    assert len(payouts) == 1 and payouts[0].amount_fen == decided.approved_fen <= paid


def test_the_database_refuses_a_refunded_total_above_what_was_paid(app, world):
    order = situation_order("game_card_unused")
    order_id, paid = order.id, order.amount_fen
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Order).where(Order.id == order_id).values(refunded_fen=paid + 1))
        db.session.flush()
    db.session.rollback()
    db.session.execute(update(Order).where(Order.id == order_id).values(refunded_fen=paid))
    db.session.commit()
