"""Nothing is lost, nothing is sent twice: Redis down at submit, duplicate jobs, retries, staff retry."""

import socket
from datetime import timedelta

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import select

from portal import outbox
from portal.cases.models import RefundCase
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import ConsoleSms
from portal.outbox import OutboxItem
from tests.factories import open_case_for, sign_in_staff

# Delivery itself: case news is sent at once (the policy waits no time to coalesce it).
pytestmark = pytest.mark.usefixtures("news_at_once")


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens once the socket is closed


def _sms_rows(case_id: int) -> list[OutboxItem]:
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(OutboxItem.case_id == case_id, OutboxItem.channel == "sms")
            .order_by(OutboxItem.id)
        )
    )


def _sent() -> list[ConsoleSms]:
    db.session.expire_all()
    return list(db.session.scalars(select(ConsoleSms).order_by(ConsoleSms.id)))


def test_submit_while_redis_is_down_then_the_sweep_sends_once(app, client, customer, run_jobs, redis_url):
    app.config["REDIS_URL"] = _closed_port_url()
    with app.app_context():
        case_id = open_case_for(customer).id  # the customer's submission succeeds
    response = client.post(f"/cases/{case_id}/withdraw")  # and so does a request through the web
    assert response.status_code == 303
    with app.app_context():
        rows = _sms_rows(case_id)
        assert [r.template for r in rows] == ["case:submitted"]  # a withdrawal is told in the 站内信 only
        assert all(r.status == "pending" for r in rows)
        assert db.session.get(RefundCase, case_id).state == "withdrawn"

    app.config["REDIS_URL"] = redis_url  # Redis is back
    with app.app_context():
        # The clock sweeps every 20 s; rows are picked up once 30 s old: sent within a minute.
        assert outbox.sweep(utcnow() + outbox.SWEEP_GRACE + timedelta(seconds=1)) == 1
    run_jobs()
    with app.app_context():
        sent = _sent()
        assert [s.out_id for s in sent] == [outbox.job_id_for(r.id) for r in _sms_rows(case_id)]
        assert all(s.calls == 1 for s in sent)
        assert all(r.status == "sent" for r in _sms_rows(case_id))
        assert outbox.sweep(utcnow() + timedelta(minutes=5)) == 0  # nothing left to send
    run_jobs()
    with app.app_context():
        assert all(s.calls == 1 for s in _sent())


def test_a_job_that_runs_twice_sends_once(app, world, run_jobs):
    from worker.jobs import deliver_outbox

    case_id = open_case_for(world.customer_id).id
    item_id = _sms_rows(case_id)[0].id
    outbox.enqueue_items([(item_id, "sms")])  # relay and sweep both enqueued it
    run_jobs()
    assert deliver_outbox(item_id) == "skipped"
    sent = _sent()
    assert len(sent) == 1 and sent[0].calls == 1 and sent[0].out_id == f"outbox-{item_id}"


def test_the_sweep_leaves_waiting_jobs_alone_and_re_enqueues_lost_ones(app, world, redis_url):
    case_id = open_case_for(world.customer_id).id
    item = _sms_rows(case_id)[0]
    later = utcnow() + timedelta(minutes=10)
    assert outbox.sweep(later) == 0  # still queued: the worker will get to it
    Redis.from_url(redis_url).flushdb()  # Redis restarted without persistence
    assert outbox.sweep(later) == 1
    job = Job.fetch(
        outbox.job_id_for(item.id), connection=Redis.from_url(redis_url), serializer=JSONSerializer
    )
    assert job.get_status() == JobStatus.QUEUED and job.origin == "notifications"


def test_background_jobs_go_to_the_default_queue(app, world):
    assert outbox.queue_for("job") == "default" and outbox.queue_for("sms") == "notifications"


@pytest.mark.config(SMS_BACKEND="tests.notifications.fake_sms:FailingSms")
def test_failures_retry_with_backoff_then_staff_retry_sends_with_the_same_key(
    app, world, run_jobs, monkeypatch
):
    case_id = open_case_for(world.customer_id).id
    item_id = _sms_rows(case_id)[0].id
    run_jobs()
    db.session.expire_all()
    item = db.session.get(OutboxItem, item_id)
    assert item.status == "pending" and item.attempts == 1 and "provider unavailable" in item.last_error
    assert timedelta(seconds=3) < item.next_attempt_at - utcnow() <= timedelta(seconds=5)
    job = Job.fetch(
        outbox.job_id_for(item_id),
        connection=Redis.from_url(app.config["REDIS_URL"]),
        serializer=JSONSerializer,
    )
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == len(outbox.RETRY_INTERVALS) - 1

    # The remaining tries without waiting: re-enqueue with zero intervals.
    monkeypatch.setattr(outbox, "RETRY_INTERVALS", [0, 0, 0])
    job.cancel()
    outbox.enqueue_items([(item_id, "sms")])
    run_jobs()
    db.session.expire_all()
    item = db.session.get(OutboxItem, item_id)
    assert item.status == "failed" and item.attempts == 5

    staff = app.test_client()
    sign_in_staff(staff, app, "reviewer")
    page = staff.get("/staff/notifications?lang=en").get_data(as_text=True)
    assert f'id="outbox-{item_id}"' in page and "provider unavailable" in page and "Retry" in page
    app.config["SMS_BACKEND"] = "console"  # the provider is back
    response = staff.post(f"/staff/notifications/{item_id}/retry")
    assert response.status_code == 303
    run_jobs()
    db.session.expire_all()
    assert db.session.get(OutboxItem, item_id).status == "sent"
    assert [(s.out_id, s.calls) for s in _sent()] == [(f"outbox-{item_id}", 1)]
    assert staff.post(f"/staff/notifications/{item_id}/retry").status_code == 404  # nothing to retry now


def test_customers_may_not_see_the_failures_page(app, client, customer):
    assert client.get("/staff/notifications").status_code in (302, 403)


def test_periodic_jobs_run(app, world, run_jobs):
    from rq.registry import FailedJobRegistry

    from portal.queueing import get_queue
    from worker.__main__ import tick

    tick(app, 1_900_000_000.0)
    run_jobs()
    failed = FailedJobRegistry(queue=get_queue("default", Redis.from_url(app.config["REDIS_URL"])))
    assert failed.get_job_ids() == []
