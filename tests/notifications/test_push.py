"""The APP push channel: written with the change, POSTed signed to the APP's push service by the worker,
retried with backoff, and de-duplicated by the outbox id sent as the idempotency key."""

import time

import pytest
from flask import current_app
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import select

from portal import outbox
from portal.accounts.models import Customer
from portal.clock import utcnow
from portal.demo.builder import DEMO_PHONE, build
from portal.extensions import db
from portal.notifications import push
from portal.notifications.models import InboxMessage
from portal.outbox import OutboxItem
from portal.queueing import redis_connection
from tests.factories import open_case_for
from tests.notifications.push_receiver import PushReceiver
from worker.jobs import deliver_outbox

# Delivery itself: case news is sent at once (the policy waits no time to coalesce it).
pytestmark = pytest.mark.usefixtures("news_at_once")

SECRET = "test-push-secret"


@pytest.fixture
def receiver(app):
    server = PushReceiver(SECRET).start()
    app.config.update(APP_PUSH_URL=server.url, APP_PUSH_SECRET=SECRET)
    yield server
    server.stop()


@pytest.fixture
def quick_retries(monkeypatch):
    """No waiting between tries, so a burst worker runs every retry at once."""
    monkeypatch.setattr(outbox, "RETRY_INTERVALS", [0, 0, 0, 0])


def demo_customer() -> Customer:
    build()
    return db.session.scalar(select(Customer).where(Customer.phone == DEMO_PHONE))


def push_rows(case_id: int) -> list[OutboxItem]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxItem).where(OutboxItem.case_id == case_id, OutboxItem.channel == "push")
        )
    )


def channels_of(case_id: int) -> set[str]:
    """How the customer is told about the case (background jobs left out)."""
    rows = db.session.scalars(select(OutboxItem.channel).where(OutboxItem.case_id == case_id))
    return set(rows) - {"job"}


def test_app_customers_get_a_signed_push_with_the_inbox_message_instead_of_sms(db, receiver, run_jobs):
    customer = demo_customer()
    assert customer.has_app and customer.sms_opt_in and not customer.sms_with_app
    case = open_case_for(customer.id, None, auto=None)
    assert channels_of(case.id) == {"push"}
    assert db.session.scalar(select(InboxMessage).where(InboxMessage.case_id == case.id)) is not None
    run_jobs()
    rows = push_rows(case.id)
    assert rows and all(row.status == "sent" for row in rows)
    first = rows[0]
    key = f"outbox-{first.id}"
    assert key in receiver.messages and all(r.signature_ok for r in receiver.requests)
    message = receiver.messages[key]
    assert message["id"] == key and message["event"] == "submitted"
    assert message["customer"] == {"id": customer.id, "phone": customer.phone}
    assert message["case"]["number"] == case.number and message["case"]["path"].endswith(f"/{case.id}")
    assert message["title"] and case.number in message["body"] and message["locale"] == customer.locale
    request = next(r for r in receiver.requests if r.key == key)
    assert request.headers["Content-Type"].startswith("application/json")
    assert first.provider_ref.startswith("push:200")


def test_customer_without_the_app_gets_no_push_but_still_the_sms(db, receiver):
    customer = demo_customer()
    customer.has_app = False
    db.session.commit()
    case = open_case_for(customer.id, None, auto=None)
    assert push_rows(case.id) == []
    sms = db.session.scalars(
        select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.channel == "sms")
    )
    assert list(sms)


def test_an_app_customer_who_asks_for_both_gets_push_and_sms(db, receiver):
    customer = demo_customer()
    customer.sms_with_app = True
    db.session.commit()
    assert channels_of(open_case_for(customer.id, None, auto=None).id) == {"push", "sms"}


def test_a_customer_who_declines_sms_gets_the_inbox_and_push_only(db, receiver):
    customer = demo_customer()
    customer.sms_opt_in = False
    customer.sms_with_app = True  # no SMS at all wins
    db.session.commit()
    assert channels_of(open_case_for(customer.id, None, auto=None).id) == {"push"}
    customer.has_app = False
    db.session.commit()
    assert channels_of(open_case_for(customer.id, None, auto=None).id) == set()


def test_no_push_is_queued_while_the_push_url_is_unset(db):
    customer = demo_customer()
    case = open_case_for(customer.id, None, auto=None)
    assert push_rows(case.id) == []


def test_a_failing_push_service_is_retried_until_it_accepts(db, receiver, run_jobs, quick_retries):
    receiver.fail_next = 2
    case = open_case_for(demo_customer().id, None, auto=None)
    run_jobs()
    row = push_rows(case.id)[0]
    key = f"outbox-{row.id}"
    tries = [r for r in receiver.requests if r.key == key]
    assert row.status == "sent" and row.attempts == 3 and len(tries) == 3
    assert key in receiver.messages and len(receiver.messages) == len(push_rows(case.id))


def test_when_the_app_is_gone_the_news_goes_by_sms_and_pushes_stop(db, receiver, run_jobs):
    receiver.gone = True
    customer = demo_customer()
    case = open_case_for(customer.id, None, auto=None)
    run_jobs()
    row = push_rows(case.id)[0]
    assert row.status == "rerouted" and row.attempts == 1  # not retried
    sms = db.session.scalars(
        select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.channel == "sms")
    ).all()
    # The submission by SMS instead; later news (an automatic approval) too.
    assert (row.template, "sent") in [(s.template, s.status) for s in sms]
    assert all(s.status == "sent" for s in sms)
    assert not db.session.get(Customer, customer.id).has_app
    later = open_case_for(customer.id, None, auto=None)
    assert channels_of(later.id) == {"sms"}


def test_retries_back_off(db, receiver, run_jobs):
    receiver.fail_next = 1
    case = open_case_for(demo_customer().id, None, auto=None)
    run_jobs()
    row = push_rows(case.id)[0]
    assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
    assert row.next_attempt_at > utcnow()
    job = Job.fetch(f"outbox-{row.id}", connection=redis_connection(), serializer=JSONSerializer)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retry_intervals == outbox.RETRY_INTERVALS
    assert sorted(outbox.RETRY_INTERVALS) == outbox.RETRY_INTERVALS and outbox.RETRY_INTERVALS[0] > 0


def test_a_lost_answer_does_not_make_a_second_push(db, receiver, run_jobs, quick_retries):
    receiver.lose_answer_next = 1
    case = open_case_for(demo_customer().id, None, auto=None)
    run_jobs()
    row = push_rows(case.id)[0]
    key = f"outbox-{row.id}"
    tries = [r for r in receiver.requests if r.key == key]
    assert len(tries) == 2 and row.status == "sent"
    assert key in receiver.messages and len(receiver.messages) == len(push_rows(case.id))
    assert tries[0].message["id"] == tries[1].message["id"] == key


def test_a_sent_push_is_not_sent_again_and_a_resend_after_a_crash_keeps_its_key(db, receiver, run_jobs):
    case = open_case_for(demo_customer().id, None, auto=None)
    run_jobs()
    row = push_rows(case.id)[0]
    key = f"outbox-{row.id}"
    assert deliver_outbox(row.id) == "skipped"
    assert [r.key for r in receiver.requests].count(key) == 1
    # The worker died after the POST and before its commit: the row is still pending.
    row.status = "pending"
    db.session.commit()
    assert deliver_outbox(row.id) == "sent"
    assert [r.key for r in receiver.requests].count(key) == 2
    assert len(receiver.messages) == len(push_rows(case.id))


def test_a_wrong_secret_is_refused_and_the_row_fails_after_its_retries(db, receiver, run_jobs, quick_retries):
    case = open_case_for(demo_customer().id, None, auto=None)
    current_app.config["APP_PUSH_SECRET"] = "not-the-shared-secret"
    run_jobs()
    row = push_rows(case.id)[0]
    assert row.status == "failed" and "401" in row.last_error
    assert receiver.messages == {}


def test_an_unreachable_push_service_raises_for_a_retry(db, app):
    app.config["APP_PUSH_URL"] = "http://127.0.0.1:9/push"
    case = open_case_for(demo_customer().id, None, auto=None)
    app.config["APP_PUSH_URL"] = "http://127.0.0.1:1/push"
    row = push_rows(case.id)[0]
    with pytest.raises(push.PushError):
        push.deliver(row, app.config)


def test_signature_helpers():
    now = int(time.time())
    body = push.encode({"id": "outbox-1", "body": "退款"})
    signature = push.sign("s", str(now), body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert push.verify("s", str(now), body, signature, now)
    assert not push.verify("s", str(now), body + b" ", signature, now)
    assert not push.verify("other", str(now), body, signature, now)
    assert not push.verify("s", str(now - 600), body, push.sign("s", str(now - 600), body), now)
    assert not push.verify("s", "soon", body, signature, now)
