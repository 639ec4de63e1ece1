"""The admins' operations page: queues, failed jobs with a retry, outbox lag, the clock, payouts."""

import time

import pytest
from redis import Redis

from portal import outbox
from portal.accounts.models import StaffRole
from portal.orders.kinds import PaymentRoute
from portal.queueing import CLOCK_HEARTBEAT_KEY, DEFAULT, get_queue, redis_connection
from tests.factories import approve, make_case, make_order, sign_in_staff
from tests.factories import new_staff as staff_user


@pytest.fixture
def admin(app, db, client):
    staff_user("admin", StaffRole.ADMIN)
    staff_user("senior", StaffRole.SENIOR)
    db.session.commit()
    sign_in_staff(client, app, "admin")
    return client


def test_only_admins(app, db, client):
    staff_user("senior", StaffRole.SENIOR)
    db.session.commit()
    sign_in_staff(client, app, "senior")
    assert client.get("/staff/operations").status_code == 403
    assert "/staff/operations" not in client.get("/staff/payouts").get_data(as_text=True)


def test_clock_outbox_and_payouts(admin, db, redis_url):
    page = admin.get("/staff/operations?lang=en").get_data(as_text=True)
    assert "never been seen" in page and "No message is waiting" in page and "No failed job" in page
    Redis.from_url(redis_url).set(CLOCK_HEARTBEAT_KEY, f"{time.time() - 3:.3f}")
    outbox.add_sms("+8613800138000", "sign_in_code", {"code": "123456"}, "zh_CN")
    payout = approve(make_case(make_order(PaymentRoute.OFFLINE, 4000)))
    db.session.commit()
    page = admin.get("/staff/operations?lang=en").get_data(as_text=True)
    assert "clock ticked" in page and "messages waiting; the oldest for" in page
    assert (
        f"/staff/payouts/{payout.id}" not in page
    )  # offline: waiting for the customer's account, not in trouble
    payout.state = "manual"
    db.session.commit()
    assert f"/staff/payouts/{payout.id}" in admin.get("/staff/operations?lang=en").get_data(as_text=True)
    assert "123456" not in page and "13800138000" not in page


def test_failed_job_retried(admin, app, run_jobs):
    with app.app_context():
        get_queue(DEFAULT, redis_connection()).enqueue_call("portal.clock.no_such_job", job_id="broken-1")
    run_jobs()
    page = admin.get("/staff/operations?lang=en").get_data(as_text=True)
    assert "portal.clock.no_such_job" in page and "broken-1" in page
    response = admin.post("/staff/operations/jobs/default/broken-1/retry?lang=en")
    assert response.status_code == 303
    with app.app_context():
        assert get_queue(DEFAULT, redis_connection()).count == 1
    again = admin.post("/staff/operations/jobs/default/broken-1/retry?lang=en", follow_redirects=True)
    assert "no longer among the failed" in again.get_data(as_text=True)
    assert admin.post("/staff/operations/jobs/nosuchqueue/x/retry").status_code == 303
