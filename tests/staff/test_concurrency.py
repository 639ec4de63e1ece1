"""Two processes decide the same case at the same moment on PostgreSQL: exactly one wins."""

import multiprocessing
import os

import pytest
from sqlalchemy import select

from portal.cases.auditlog import verify_log
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import CaseState
from portal.policy.kinds import RefundType
from tests.factories import open_case, situation_order

POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql"))
pytestmark = pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (DATABASE_URL); the CI runs it there")

# One race per kind of case; each race is a fresh pair of processes.
SITUATIONS = {
    "game_card_unused": RefundType.NOT_RECEIVED,
    "game_card_wrong_account": RefundType.CUSTOMER_ERROR,
    "game_item_unused": RefundType.NOT_AS_DESCRIBED,
    "software_unactivated_10d": RefundType.SOFTWARE_UNACTIVATED,
}


def decide_in_own_process(
    config: dict, case_id: int, version: int, username: str, kind: str, barrier, results
):
    """A separate app and database connection, deciding once everyone is ready."""
    from portal import create_app
    from portal.accounts.models import StaffUser
    from portal.extensions import db
    from portal.staff import services

    app = create_app(config)
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        case = db.session.get(RefundCase, case_id)
        assert case.version == version
        barrier.wait(timeout=30)
        try:
            if kind == "approve":
                services.approve(case, version, staff, services.Approval(None, "yes"))
            else:
                services.reject(case, version, staff, services.Rejection("item_used", "no"))
            results.put((username, "won"))
        except services.DecisionError as error:
            results.put((username, error.code))
        finally:
            db.session.remove()
            db.engine.dispose()


def test_concurrent_decisions_from_two_processes(app, world, tmp_path):
    keys = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "TESTING", "UPLOAD_FOLDER")
    config = {key: app.config[key] for key in keys} | {"RQ_ENABLED": False}
    context = multiprocessing.get_context("spawn")
    for situation, refund_type in SITUATIONS.items():
        case = open_case(situation_order(situation), refund_type=refund_type)
        case_id, version = case.id, case.version
        world.session.commit()
        barrier = context.Barrier(2)
        results = context.Queue()
        workers = [
            context.Process(
                target=decide_in_own_process,
                args=(config, case_id, version, name, kind, barrier, results),
            )
            for name, kind in (("reviewer", "approve"), ("reviewer2", "reject"))
        ]
        for worker in workers:
            worker.start()
        outcomes = dict(results.get(timeout=60) for _ in workers)
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        assert sorted(outcomes.values()) == ["stale", "won"], outcomes
        winner = next(name for name, outcome in outcomes.items() if outcome == "won")
        world.session.expire_all()
        decided = world.session.get(RefundCase, case_id)
        assert decided.state == (CaseState.APPROVED if winner == "reviewer" else CaseState.REJECTED)
        decisions = world.session.scalars(
            select(CaseEvent.action).where(
                CaseEvent.case_id == case_id, CaseEvent.action.in_(["approved", "rejected"])
            )
        ).all()
        assert len(decisions) == 1
    assert verify_log().ok
