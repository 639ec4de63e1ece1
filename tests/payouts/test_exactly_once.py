"""Exactly once: double clicks, two workers, timeouts, replayed and concurrent notifications."""

import threading

from sqlalchemy import select

from portal.accounts.models import StaffRole
from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.extensions import db as _db
from portal.orders.kinds import PaymentRoute
from portal.orders.models import Order
from portal.outbox import OutboxItem
from portal.payouts import scheduling, services
from portal.payouts.models import Payout, PayoutNotice
from portal.payouts.states import PayoutState
from tests.factories import approved_payout, count, fresh, make_case, make_order, new_staff, sign_in_staff
from tests.payouts.support import deliver, settings


def _in_threads(app, n, work):
    """Run work(i) in n threads, each with its own app context (own DB session), started together."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        with app.app_context():
            try:
                barrier.wait()
                results[i] = work(i)
            except Exception as exc:  # collected: a thread's failure must fail the test
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def _review_case(route=PaymentRoute.ALIPAY, amount=3000):
    new_staff("senior", StaffRole.SENIOR)
    case = make_case(make_order(route, amount))
    _db.session.commit()
    return case.id, case.version


def test_double_click_on_approve_makes_one_payout(gateway, app, db):
    case_id, version = _review_case()
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        sign_in_staff(c, app, "senior")
    form = {
        "approve-version": str(version),
        "approve-confirmed": "1",
        "approve-mode": "full",
        "approve-note": "",
    }

    results, errors = _in_threads(
        app, 2, lambda i: clients[i].post(f"/staff/cases/{case_id}/approve", data=form)
    )
    assert not errors
    assert sorted(r.status_code for r in results)[0] == 303  # one approval went through
    assert all(r.status_code in (303, 409) for r in results)
    # …and a late third click changes nothing either.
    assert clients[0].post(f"/staff/cases/{case_id}/approve", data=form).status_code == 409
    assert count(Payout, Payout.case_id == case_id) == 1
    jobs = db.session.scalars(select(OutboxItem).where(OutboxItem.channel == "job")).all()
    assert [j.template for j in jobs if j.template.startswith("portal.payouts.")] == [
        "portal.payouts.jobs.execute_payout"
    ], [(j.id, j.template, j.params, j.case_id) for j in jobs]
    assert fresh(RefundCase, case_id).state == CaseState.APPROVED


def test_two_workers_picking_the_same_payout_send_it_once(gateway, app, db):
    payout_id = approved_payout(PaymentRoute.WECHAT, 3000)
    gateway.switch(hang_seconds=0.3, timeout=0)
    results, errors = _in_threads(app, 2, lambda i: services.execute(payout_id, settings()))
    assert not errors
    assert sorted(results) == ["accepted", "skipped"]
    assert len(gateway.submissions()) == 1
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUBMITTED and payout.attempts == 1
    # The outbox job arriving late (after a crash, or twice) finds nothing to do.
    assert services.execute(payout_id, settings()) == "skipped"
    assert len(gateway.submissions()) == 1


def test_gateway_timeout_then_retry_reuses_the_request_number(gateway, app, db, client):
    payout_id = approved_payout(PaymentRoute.ALIPAY, 3000)
    gateway.switch(timeout=1)  # the gateway records the refund, but its answer comes too late
    assert services.execute(payout_id, settings()) == "unknown"
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.PENDING and payout.next_attempt_at is not None
    assert "NO_ANSWER" in payout.last_error
    # Not yet due: the poll leaves it alone.
    assert services.poll(settings())["submitted"] == 0
    later = payout.next_attempt_at
    assert services.poll(settings(), now=later)["submitted"] == 1
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUBMITTED and payout.attempts == 2
    subs = gateway.submissions()
    assert [(s["request_no"], s["amount_fen"]) for s in subs] == [(payout.request_no, 3000)] * 2
    assert len(gateway.refunds()) == 1  # one refund at the gateway, not two
    gateway.settle()
    deliver(client, gateway.notifications()[0])
    assert fresh(Order, payout.order_id).refunded_fen == 3000


def test_timeout_before_anything_is_recorded_is_retried_too(gateway, db):
    payout_id = approved_payout(PaymentRoute.BANK_CARD, 500)
    gateway.switch(drop=1)
    assert services.execute(payout_id, settings()) == "unknown"
    assert gateway.refunds() == []
    payout = fresh(Payout, payout_id)
    services.poll(settings(), now=payout.next_attempt_at)
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED
    assert len(gateway.refunds()) == 1


def test_same_notification_five_times_concurrently_applies_once(gateway, app, db, client, run_jobs):
    payout_id = approved_payout(PaymentRoute.WECHAT, 2500, paid_fen=3000)
    run_jobs()
    gateway.settle()
    [note] = gateway.notifications()
    clients = [app.test_client() for _ in range(5)]
    results, errors = _in_threads(app, 5, lambda i: deliver(clients[i], note))
    assert not errors
    assert [r.status_code for r in results] == [200] * 5
    assert {r.get_data(as_text=True) for r in results} == {"success"}
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUCCEEDED
    assert fresh(Order, payout.order_id).refunded_fen == 2500
    case = fresh(RefundCase, payout.case_id)
    assert [e.action for e in case.events].count("refunded") == 1
    assert count(PayoutNotice, PayoutNotice.payout_id == payout_id) == 1


def test_replayed_notification_changes_nothing(gateway, db, client, run_jobs):
    payout_id = approved_payout(PaymentRoute.ALIPAY, 3000)
    run_jobs()
    gateway.settle()
    note = gateway.notifications()[0]
    assert deliver(client, note).status_code == 200
    before = fresh(Payout, payout_id)
    snapshot = (before.state, before.succeeded_at, before.lock_seq, before.updated_at)
    events = len(fresh(RefundCase, before.case_id).events)
    for _ in range(3):
        response = deliver(client, note)
        assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    after = fresh(Payout, payout_id)
    assert (after.state, after.succeeded_at, after.lock_seq, after.updated_at) == snapshot
    assert len(fresh(RefundCase, after.case_id).events) == events
    assert fresh(Order, after.order_id).refunded_fen == 3000


def test_bad_signature_is_rejected_with_no_change(gateway, db, client, run_jobs):
    payout_id = approved_payout(PaymentRoute.ALIPAY, 3000)
    run_jobs()
    gateway.switch(bad_signature=1)
    gateway.settle()
    note = gateway.notifications()[0]
    response = deliver(client, note)
    assert (response.status_code, response.get_data(as_text=True)) == (400, "fail")
    tampered = dict(note["headers"], **{"X-Sandbox-Signature": "0" * 64})
    assert deliver(client, note, headers=tampered).status_code == 400
    assert deliver(client, note, headers={}).status_code == 400
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUBMITTED
    assert fresh(Order, payout.order_id).refunded_fen == 0
    assert count(PayoutNotice) == 0


def test_notification_with_the_wrong_amount_is_rejected(gateway, db, client, run_jobs):
    import json

    from portal.payouts import signing
    from tests.payouts.support import TEST_SECRET

    payout_id = approved_payout(PaymentRoute.BANK_CARD, 3000)
    run_jobs()
    gateway.settle()
    note = gateway.notifications()[0]
    body = json.loads(note["body"])
    body["amount_fen"] = 30000  # correctly signed (a leaked key, a provider bug): still refused
    raw = json.dumps(body).encode()
    response = deliver(client, note, body=raw, headers=signing.signed_headers(TEST_SECRET, raw))
    assert response.status_code == 400
    for field, value in (("request_no", "RP000"), ("trade_no", "T-OTHER")):
        other = json.dumps(dict(json.loads(note["body"]), **{field: value})).encode()
        assert (
            deliver(client, note, body=other, headers=signing.signed_headers(TEST_SECRET, other)).status_code
            == 400
        )
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED
    # A notification for the right route only: the wrong route's endpoint refuses it.
    assert (
        client.post("/payouts/notify/wechat", data=note["body"], headers=note["headers"]).status_code == 400
    )
    assert (
        client.post("/payouts/notify/offline", data=note["body"], headers=note["headers"]).status_code == 400
    )
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED


def test_notify_endpoint_needs_no_csrf_token(app, gateway, db, run_jobs):
    app.config["WTF_CSRF_ENABLED"] = True
    payout_id = approved_payout(PaymentRoute.ALIPAY, 3000)
    run_jobs()
    gateway.settle()
    assert deliver(app.test_client(), gateway.notifications()[0]).status_code == 200
    assert fresh(Payout, payout_id).state == PayoutState.SUCCEEDED


def test_failures_are_retried_then_handed_to_staff(gateway, db, client, run_jobs):
    payout_id = approved_payout(PaymentRoute.WECHAT, 3000)
    run_jobs()
    for attempt in range(1, 4):
        gateway.settle(success=False)  # the money did not move (account closed)
        note = gateway.notifications()[-1]
        assert deliver(client, note).status_code == 200
        payout = fresh(Payout, payout_id)
        assert payout.failures == attempt
        if attempt < 3:
            assert payout.state == PayoutState.FAILED
            services.poll(settings(), now=payout.next_attempt_at)
            payout = fresh(Payout, payout_id)
            assert payout.state == PayoutState.SUBMITTED and payout.attempts == attempt + 1
    assert payout.state == PayoutState.MANUAL
    assert fresh(RefundCase, payout.case_id).state == CaseState.MANUAL
    assert fresh(Order, payout.order_id).refunded_fen == 0
    assert {s["request_no"] for s in gateway.submissions()} == {payout.request_no}
    # Nothing more is sent automatically.
    assert services.poll(settings(), now=payout.failed_at.replace(year=2099))["submitted"] == 0


def test_rejected_submission_counts_as_a_failure(gateway, db):
    payout_id = approved_payout(PaymentRoute.ALIPAY, 3000)
    gateway.switch(reject=1)
    assert services.execute(payout_id, settings()) == "rejected"
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.FAILED and payout.failures == 1
    services.poll(settings(), now=payout.next_attempt_at)
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.SUBMITTED and payout.attempts == 2


def test_query_not_found_sends_again_with_the_same_number(gateway, db):
    payout_id = approved_payout(PaymentRoute.BANK_CARD, 3000)
    services.execute(payout_id, settings())
    gateway.state.ledger.reset()  # the gateway lost it
    services.poll(settings())
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.RETRIED
    services.poll(settings())
    assert fresh(Payout, payout_id).state == PayoutState.SUBMITTED
    assert [r.request_no for r in gateway.refunds()] == [payout.request_no]


def test_a_payout_never_takes_the_order_over_what_was_paid(gateway, db):
    from portal.payouts.services import PayoutError

    order = make_order(PaymentRoute.ALIPAY, 3000, refunded_fen=2000)
    case = make_case(order, 1500)
    case.approved_fen = 1500
    try:
        scheduling.schedule_payout(case)
    except PayoutError as exc:
        assert exc.code == "exceeds_refundable"
    else:
        raise AssertionError("a payout above the refundable amount was created")
    db.session.rollback()
    assert count(Payout) == 0


def test_job_for_unknown_payout_is_harmless(gateway, db):
    assert services.execute(999, settings()) == "skipped"
    assert services.query(999, settings()) is None
    assert db.session.scalars(select(Payout)).all() == []
