"""Automatic review: standard cases proven by the platform's records are approved by the worker, once."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.cases import autoreview
from portal.cases.auditlog import verify_log
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import CaseState
from portal.outbox import OutboxItem
from portal.policy.kinds import RefundType
from tests.factories import new_order, open_case, situation_order


def _events(db, case_id, action=None):
    query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
    if action:
        query = query.where(CaseEvent.action == action)
    return db.session.scalars(query).all()


@pytest.mark.parametrize(
    ("situation", "clause"),
    [
        ("game_card_system_fault", "game_card.not_received"),
        ("game_card_stock_error", "game_card.not_received"),
        ("topup_not_credited", "phone_topup.not_received"),
    ],
)
def test_seeded_standard_cases_are_approved_by_the_worker(world, run_jobs, situation, clause):
    order = situation_order(situation)
    case = open_case(order)
    case_id, amount = case.id, case.requested_fen
    assert case.auto_approvable and case.risk_flags == []
    job = world.session.scalar(
        select(OutboxItem).where(OutboxItem.channel == "job", OutboxItem.case_id == case_id)
    )
    assert job.template == "portal.cases.autoreview.review_case"

    run_jobs()

    world.session.expire_all()
    case = world.session.get(RefundCase, case_id)
    assert case.state == CaseState.APPROVED
    assert case.approved_fen == amount
    assert case.decision_reason_code == "platform_record"
    assert case.decided_by_id is None
    approved = _events(world, case_id, "approved")[0]
    assert approved.actor_kind == "system"
    assert approved.data["clause"] == clause
    assert approved.data["automatic"] is True
    assert approved.data["delivery_status"] == str(order.delivery_status)
    assert verify_log().ok


def test_a_case_the_records_do_not_prove_waits_for_a_human(world):
    case = open_case(situation_order("game_card_unused"))
    assert not case.auto_approvable
    assert autoreview.review_case(case.id) == "manual"
    assert world.session.get(RefundCase, case.id).state == CaseState.EVIDENCE_RECEIVED
    assert not world.session.scalars(select(OutboxItem).where(OutboxItem.channel == "job")).all()


def test_review_is_idempotent(world):
    case = open_case(situation_order("game_card_system_fault"))
    assert autoreview.review_case(case.id) == "approved"
    assert autoreview.review_case(case.id) == "skipped"
    assert len(_events(world, case.id, "approved")) == 1


def test_a_flagged_case_is_never_auto_approved(world):
    first = open_case(situation_order("game_card_unused"), evidence_sha="a" * 64)
    case = open_case(situation_order("game_card_system_fault"), evidence_sha="a" * 64)
    assert case.auto_approvable
    assert [f["code"] for f in case.risk_flags] == ["duplicate_evidence"]
    assert first.number in case.risk_flags[0]["params"]["cases"]
    # No job is queued for a flagged case, and a run anyway (sweep, retry) holds it back, logged once.
    assert not world.session.scalars(select(OutboxItem).where(OutboxItem.channel == "job")).all()
    assert autoreview.review_case(case.id) == "flagged"
    assert autoreview.review_case(case.id) == "flagged"
    assert world.session.get(RefundCase, case.id).state == CaseState.EVIDENCE_RECEIVED
    assert len(_events(world, case.id, autoreview.SKIP_ACTION)) == 1


def test_a_case_without_uploads_is_approved_from_submitted(world):
    # When the records prove the failure, evidence is optional: the case may arrive with none.
    case = open_case(situation_order("topup_not_credited"), with_evidence=False)
    assert case.state == CaseState.SUBMITTED
    assert autoreview.review_case(case.id) == "approved"


@pytest.mark.config(RQ_ENABLED=False)
def test_the_sweep_decides_cases_whose_job_never_ran(world):
    case = open_case(situation_order("game_card_system_fault"))
    fresh = open_case(
        new_order(case.customer_id, delivery=case.order.delivery_status, paid_ago=timedelta(days=9))
    )
    case.created_at -= timedelta(minutes=5)
    world.session.commit()
    assert autoreview.sweep() == 1
    assert world.session.get(RefundCase, case.id).state == CaseState.APPROVED
    # The sweep leaves a fresh case to its own job.
    assert world.session.get(RefundCase, fresh.id).state in autoreview.WAITING


def test_the_decision_follows_the_case_policy_version(world):
    case = open_case(situation_order("game_card_stock_error"), refund_type=RefundType.NOT_RECEIVED)
    assert case.policy_version_id is not None
    assert autoreview.review_case(case.id) == "approved"
