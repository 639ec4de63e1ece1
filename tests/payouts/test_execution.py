"""From approval to 已退款: the payout starts at once through RQ; success only on the gateway's word."""

from sqlalchemy import select

from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.notifications.models import InboxMessage
from portal.orders.kinds import PaymentRoute
from portal.orders.models import Order
from portal.outbox import OutboxItem
from portal.payouts import services
from portal.payouts.models import Payout
from portal.payouts.states import PayoutState, SuccessSource
from tests.factories import approve, approved_payout, count, fresh, make_case, make_order
from tests.payouts.support import deliver, settings


def test_approval_creates_payout_and_job_in_the_same_transaction(gateway, db):
    order = make_order(PaymentRoute.WECHAT, 5000)
    case = make_case(order, 2000)
    payout = approve(case, 2000)
    assert payout.state == PayoutState.PENDING
    assert payout.request_no.startswith("RP") and len(payout.request_no) <= 64
    assert payout.amount_fen == 2000 and payout.route == PaymentRoute.WECHAT
    jobs = db.session.scalars(select(OutboxItem).where(OutboxItem.channel == "job")).all()
    assert [(j.template, j.params["args"]) for j in jobs] == [
        ("portal.payouts.jobs.execute_payout", [payout.id])
    ]
    assert gateway.submissions() == []  # nothing was sent before the row (and its number) existed


def test_job_submits_then_notification_refunds(gateway, db, client, run_jobs):
    payout_id = approved_payout(PaymentRoute.ALIPAY, 3000)
    run_jobs()
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUBMITTED and payout.attempts == 1
    assert fresh(RefundCase, payout.case_id).state == CaseState.EXECUTING
    assert fresh(Order, payout.order_id).refunded_fen == 0  # accepted is not refunded
    [refund] = gateway.refunds()
    assert (refund.request_no, refund.amount_fen, refund.route) == (payout.request_no, 3000, "alipay")

    gateway.settle()
    [note] = gateway.notifications()
    assert deliver(client, note).get_data(as_text=True) == "success"
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.NOTIFY
    case = fresh(RefundCase, payout.case_id)
    assert case.state == CaseState.REFUNDED and not case.is_open
    assert fresh(Order, payout.order_id).refunded_fen == 3000
    events = [e.action for e in case.events]
    assert events[-2:] == ["executing", "refunded"]
    assert events[-1] == "refunded" and case.events[-1].data["request_no"] == payout.request_no


def test_customer_is_told_by_sms_and_inbox_when_refunded(gateway, db, client, run_jobs):
    from portal.notifications import labels

    payout_id = approved_payout(PaymentRoute.BANK_CARD, 1000)
    run_jobs()
    gateway.settle()
    deliver(client, gateway.notifications()[0])
    run_jobs()
    payout = fresh(Payout, payout_id)
    inbox = {
        m.event
        for m in db.session.scalars(select(InboxMessage).where(InboxMessage.case_id == payout.case_id))
    }
    sms = {o.template for o in db.session.scalars(select(OutboxItem).where(OutboxItem.channel == "sms"))}
    for event in ("executing", "refunded"):
        if event in labels.EVENT_TEXTS:  # the lifecycle feature writes these texts
            assert event in inbox and f"case:{event}" in sms


def test_query_api_is_enough_to_believe_success(gateway, db, run_jobs):
    payout_id = approved_payout(PaymentRoute.WECHAT, 3000)
    run_jobs()
    gateway.settle()
    assert services.poll(settings())["queried"] == 1
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.QUERY
    assert fresh(RefundCase, payout.case_id).state == CaseState.REFUNDED
    assert fresh(Order, payout.order_id).refunded_fen == 3000


def test_partial_refund_leaves_order_partly_refunded(gateway, db, client, run_jobs):
    payout_id = approved_payout(PaymentRoute.ALIPAY, 1200, paid_fen=3000)
    run_jobs()
    gateway.settle()
    deliver(client, gateway.notifications()[0])
    assert fresh(Order, fresh(Payout, payout_id).order_id).refunded_fen == 1200


def test_accepted_but_no_money_moved_is_never_success(gateway, db, run_jobs):
    """The gateway says "Success" / fund_change=Y (or SUCCESS, SETTLED) at once, yet never moves the money."""
    ids = []
    for route in (PaymentRoute.ALIPAY, PaymentRoute.WECHAT, PaymentRoute.BANK_CARD):
        gateway.switch(never_settle=1)
        ids.append(approved_payout(route, 800))
        run_jobs()
    for _ in range(5):
        services.poll(settings())
        gateway.settle()
    for payout_id in ids:
        payout = fresh(Payout, payout_id)
        assert payout.state == PayoutState.SUBMITTED
        assert fresh(RefundCase, payout.case_id).state == CaseState.EXECUTING
        assert fresh(Order, payout.order_id).refunded_fen == 0
        assert payout.last_query_at is not None


def test_offline_payout_waits_for_an_account_and_has_no_job(gateway, db):
    order = make_order(PaymentRoute.OFFLINE, 3000)
    payout = approve(make_case(order))
    assert payout.state == PayoutState.PENDING and payout.route == PaymentRoute.OFFLINE
    assert count(OutboxItem, OutboxItem.channel == "job") == 0
    assert services.execute(payout.id, settings()) == "skipped"
    assert gateway.submissions() == []


def test_periodic_poll_runs_as_a_worker_job(gateway, db, run_jobs):
    from portal.payouts.jobs import poll_payouts
    from portal.queueing import DEFAULT, get_queue
    from worker.__main__ import PERIODIC_JOBS

    assert poll_payouts in PERIODIC_JOBS
    payout_id = approved_payout(PaymentRoute.BANK_CARD, 700)
    run_jobs()
    gateway.settle()
    get_queue(DEFAULT).enqueue(poll_payouts)
    run_jobs()
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.QUERY


def test_lost_outbox_job_is_started_by_the_poll(gateway, db):
    from datetime import timedelta

    payout_id = approved_payout(PaymentRoute.ALIPAY, 700)  # as if Redis lost the job
    payout = fresh(Payout, payout_id)
    assert services.poll(settings(), now=payout.created_at + timedelta(seconds=10))["submitted"] == 0
    assert services.poll(settings(), now=payout.created_at + timedelta(minutes=2))["submitted"] == 1
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED
