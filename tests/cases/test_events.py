"""Case events: the core announces, the features subscribe (wired by the app factory), in one transaction."""

import ast
from pathlib import Path

from sqlalchemy import select

from portal.cases import autoreview, events
from portal.cases.events import CaseMove
from portal.cases.states import Actor, CaseState
from portal.notifications import case_events
from portal.orders.kinds import PaymentRoute
from portal.outbox import OutboxItem
from portal.payouts import scheduling
from portal.payouts.models import Payout
from portal.staff import appeals
from tests.factories import approve, make_case, make_order

CASES = Path(__file__).resolve().parents[2] / "portal" / "cases"
FEATURES = ("payouts", "notifications", "staff", "support", "embed", "refunds", "policyeditor", "myorders")


def _imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_the_case_core_imports_no_feature():
    found = {
        f"{path.name}: {name}"
        for path in sorted(CASES.glob("*.py"))
        for name in _imported(path)
        if name.startswith("portal.") and name.split(".")[1] in FEATURES
    }
    assert found == set()


def test_the_app_factory_connects_every_subscriber(app):
    wired = {
        events.case_opened: autoreview.queue_review,
        events.case_moved: appeals.on_case_moved,
        events.case_announced: case_events.notify_customer,
        events.case_approved: scheduling.on_case_approved,
    }
    for signal, receiver in wired.items():
        assert receiver in [ref() for ref in signal.receivers.values()], signal.name


def test_a_move_is_sent_to_subscribers_with_its_facts(db):
    case = make_case(make_order(PaymentRoute.WECHAT, 5000), 2000)
    seen: list[CaseMove] = []
    with events.case_moved.connected_to(seen.append):
        approve(case, 2000)
    [move] = seen
    assert (move.case, move.event, move.from_state, move.to_state) == (
        case,
        "approved",
        CaseState.UNDER_REVIEW,
        CaseState.APPROVED,
    )
    assert (move.actor, move.actor_id) == (Actor.STAFF, None) and move.at == case.updated_at


def test_approving_schedules_the_payout_through_the_signal(db):
    case = make_case(make_order(PaymentRoute.ALIPAY, 5000), 2000)
    told: list[tuple[str, int]] = []

    def after_payout(move: CaseMove) -> None:
        told.append((move.event, db.session.scalar(select(Payout.id).where(Payout.case_id == case.id))))

    events.case_approved.disconnect(scheduling.on_case_approved)
    try:
        with events.case_approved.connected_to(after_payout):
            approve(case, 2000)
    finally:
        events.case_approved.connect(scheduling.on_case_approved)
    assert told == [("approved", None)]  # without the payouts subscriber, no payout
    assert db.session.scalar(select(Payout).where(Payout.case_id == case.id)) is None

    other = make_case(make_order(PaymentRoute.ALIPAY, 5000), 2000)
    payout = approve(other, 2000)
    assert payout is not None and payout.amount_fen == 2000
    job = db.session.scalar(
        select(OutboxItem).where(OutboxItem.channel == "job", OutboxItem.case_id == other.id)
    )
    assert job.template == "portal.payouts.jobs.execute_payout" and job.params["args"] == [payout.id]


def test_the_customer_is_told_before_the_payout_job_is_written(db):
    case = make_case(make_order(PaymentRoute.ALIPAY, 5000), 2000)
    approve(case, 2000)
    rows = db.session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id).order_by(OutboxItem.id))
    channels = [row.channel for row in rows]
    assert channels[-1] == "job" and "sms" in channels[:-1]
