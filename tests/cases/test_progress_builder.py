"""The progress builder on plain objects: nodes, deadlines, decisions and allowed actions per state."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from portal.cases import progress
from portal.cases.customer_actions import Action, permitted
from portal.cases.states import CaseState

S = CaseState
T0 = datetime(2026, 11, 23, 2, 0)  # Monday 10:00 in Shanghai


def build_progress(case, events, now, item_labels=(), newer_case_open=False):
    """As 退款进度 builds it: the customer's view, with what they may do now (customer_actions.permitted)."""
    allowed = permitted(case, events, now, newer_case_open)
    return progress.build_progress(case, events, now, item_labels, allowed)


def _case(state, **extra):
    fields = {
        "state": state,
        "requested_fen": 10000,
        "approved_fen": None,
        "review_due_at": datetime(2026, 11, 26, 15, 59, 59),
        "step_due_at": datetime(2026, 11, 26, 15, 59, 59),
        "decided_at": None,
        "decision_reason_code": None,
        "requested_items": [],
        "appeal_of_id": None,
        "order": SimpleNamespace(payment_route="alipay"),
        **extra,
    }
    return SimpleNamespace(**fields)


def _moves(*path, start=T0, data=None):
    events, previous = [], None
    for i, state in enumerate(path):
        events.append(
            SimpleNamespace(
                at=start + timedelta(hours=i),
                from_state=previous,
                to_state=state,
                reason="",
                data=(data or {}).get(state, {}),
                action=state,
            )
        )
        previous = state
    return events


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def statuses(progress):
    return [(n.key, n.status) for n in progress.nodes]


def test_fresh_case_waits_for_review_and_may_be_withdrawn():
    p = build_progress(_case("submitted"), _moves("submitted"), T0 + timedelta(hours=1))
    assert statuses(p)[0] == ("submitted", "current") and all(s == "next" for _, s in statuses(p)[1:])
    assert p.nodes[0].at == T0
    assert p.deadline.label == "Decision due by" and not p.deadline.overdue
    assert p.actions == {Action.WITHDRAW} and p.live


def test_late_review_offers_appeal():
    p = build_progress(
        _case("under_review"),
        _moves("submitted", "evidence_received", "under_review"),
        T0 + timedelta(days=5),
    )
    assert p.overdue and p.deadline.overdue
    assert p.actions == {Action.WITHDRAW, Action.APPEAL}


def test_more_evidence_lists_the_items_and_the_customers_deadline():
    case = _case("more_evidence", requested_items=["topup_failure_screenshot"])
    moves = _moves("submitted", "evidence_received", "under_review", "more_evidence")
    p = build_progress(case, moves, T0 + timedelta(hours=5), ["A screenshot of the failure"])
    current = next(n for n in p.nodes if n.status == "current")
    assert current.label == "More evidence requested"
    assert "A screenshot of the failure" in current.explanation
    assert p.deadline.label == "Please add the evidence by"
    assert p.actions == {Action.ADD_EVIDENCE, Action.WITHDRAW}


def test_automatic_approval_skips_the_review_and_estimates_arrival():
    case = _case("approved", approved_fen=10000, decided_at=T0 + timedelta(minutes=2))
    moves = _moves("submitted", "approved", data={"approved": {"automatic": True, "amount_fen": 10000}})
    p = build_progress(case, moves, T0 + timedelta(minutes=3))
    assert statuses(p)[:4] == [
        ("submitted", "done"),
        ("evidence_received", "skipped"),
        ("under_review", "skipped"),
        ("decision", "current"),
    ]
    assert p.decision.automatic and p.decision.note == ""
    assert p.deadline.label == "The refund starts by"
    assert p.arrival is not None and p.arrival[0] <= p.arrival[1]
    assert p.actions == frozenset() and p.amount_label == "Approved amount"


def test_partial_approval_is_said_and_shown():
    case = _case("approved", approved_fen=4000)
    p = build_progress(case, _moves("submitted", "evidence_received", "under_review", "approved"), T0)
    assert p.partial and p.decision.outcome == "partial"
    assert next(n for n in p.nodes if n.key == "decision").label == "Partly approved"


def test_rejection_from_review_can_be_appealed_once():
    moves = _moves("submitted", "evidence_received", "under_review", "rejected")
    p = build_progress(_case("rejected", decision_reason_code="item_used"), moves, T0 + timedelta(days=1))
    assert p.decision.reason == "The platform's records show the item was used"
    assert p.actions == {Action.APPEAL} and not p.live
    assert [n.key for n in p.nodes][-1] == "decision"
    answered = _moves("submitted", "evidence_received", "under_review", "rejected", "appealed", "rejected")
    again = build_progress(_case("rejected"), answered, T0 + timedelta(days=2))
    assert again.actions == frozenset() and again.decision.on_appeal


def test_a_rejection_cannot_be_appealed_once_a_newer_request_is_open():
    moves = _moves("submitted", "evidence_received", "under_review", "rejected")
    p = build_progress(_case("rejected"), moves, T0 + timedelta(days=1), newer_case_open=True)
    assert Action.APPEAL not in p.actions


def test_arbitrators_rejection_is_final():
    moves = _moves("submitted", "evidence_received", "under_review", "arbitration", "rejected")
    p = build_progress(_case("rejected"), moves, T0 + timedelta(days=3))
    assert p.actions == frozenset()


def test_manual_payout_handling_looks_like_executing():
    case = _case("manual", approved_fen=10000)
    moves = _moves("submitted", "evidence_received", "under_review", "approved", "executing", "manual")
    p = build_progress(case, moves, T0 + timedelta(days=1))
    assert p.state == S.EXECUTING
    current = next(n for n in p.nodes if n.status == "current")
    assert current.label == "Refund executing" and "Alipay" in current.explanation
    assert p.deadline.label == "Expected to arrive by" and p.live


def test_refunded_is_all_done_and_quiet():
    case = _case("refunded", approved_fen=10000)
    moves = _moves("submitted", "evidence_received", "under_review", "approved", "executing", "refunded")
    p = build_progress(case, moves, T0 + timedelta(days=2))
    assert all(s == "done" for _, s in statuses(p))
    assert p.refunded_at == moves[-1].at and p.deadline is None and not p.live
    assert p.amount_label == "Refunded amount"


def test_withdrawn_ends_the_timeline():
    p = build_progress(_case("withdrawn"), _moves("submitted", "withdrawn"), T0 + timedelta(hours=2))
    assert statuses(p) == [("submitted", "done"), ("withdrawn", "current")]
    assert p.actions == frozenset() and not p.live


def test_an_appeal_against_a_partial_approval_starts_at_the_decision():
    """Its earlier steps were the partly approved request's: done there, not skipped."""
    opened = {"at": T0, "from_state": None, "to_state": "appealed", "reason": "", "data": {}}
    events = [SimpleNamespace(**opened, action="appealed")]
    p = build_progress(_case("appealed", appeal_of_id=7), events, T0 + timedelta(hours=1))
    assert statuses(p)[:4] == [
        ("submitted", "done"),
        ("evidence_received", "done"),
        ("under_review", "done"),
        ("decision", "current"),
    ]
    assert "partly approved request" in p.nodes[0].explanation
    assert p.deadline is not None and p.deadline.label == "Answer to your appeal due by"
