"""/metrics: behind its token; latency by route, sign-in failures, and the state read at scrape time."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from portal import outbox
from portal.accounts.models import StaffRole
from portal.clock import utcnow
from portal.ops import metrics
from portal.orders.kinds import PaymentRoute
from tests.factories import approve, make_case, make_order
from tests.factories import new_staff as staff_user

TOKEN = "metrics-test-token"


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_no_token_no_metrics(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_wrong_token_no_metrics(client):
    assert client.get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 404


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_request_latency_by_route_and_status(client):
    labels = ("/healthz", "GET", "200")
    before = metrics.REQUEST_SECONDS.labels(*labels)._sum.get()  # noqa: SLF001
    client.get("/healthz")
    samples = scrape(client)
    key = (
        "refund_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/healthz"), ("status", "200")),
    )
    assert samples[key] >= 1
    assert metrics.REQUEST_SECONDS.labels(*labels)._sum.get() > before  # noqa: SLF001
    client.get("/orders/12345")  # an address with an id is counted under its rule, not itself
    assert not any("12345" in str(labels) for _, labels in scrape(client))


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_sign_in_failures_are_counted(client, db):
    staff_user("senior", StaffRole.SENIOR)
    db.session.commit()
    before = scrape(client).get(("refund_sign_in_failures_total", (("who", "staff"),)), 0)
    client.post("/staff/login", data={"username": "senior", "password": "wrong"})
    assert scrape(client)[("refund_sign_in_failures_total", (("who", "staff"),))] == before + 1


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_state_outbox_queues_payouts_and_late_cases(client, db):
    outbox.add_sms("+8613800138000", "sign_in_code", {"code": "123456"}, "zh_CN")
    order = make_order(PaymentRoute.OFFLINE, 4000)
    staff_user("senior", StaffRole.SENIOR)
    approve(make_case(order))
    late = make_case(make_order(PaymentRoute.ALIPAY, 1000))
    late.review_due_at = utcnow().replace(year=2020)
    db.session.commit()
    samples = scrape(client)
    assert samples[("refund_outbox_waiting", (("channel", "sms"),))] >= 1
    assert samples[("refund_notifications", (("channel", "sms"), ("outcome", "pending")))] >= 1
    assert samples[("refund_outbox_oldest_waiting_seconds", ())] >= 0
    assert samples[("refund_payouts", (("state", "pending"),))] == 1
    assert samples[("refund_payouts_stuck", ())] == 0  # approved just now
    assert samples[("refund_cases_overdue", (("step", "review"),))] == 1
    assert ("refund_rq_queue_depth", (("queue", "notifications"),)) in samples
    assert ("refund_rq_failed_jobs", (("queue", "default"),)) in samples
    assert "123456" not in str(samples) and "13800138000" not in str(samples)


@pytest.mark.config(METRICS_TOKEN=TOKEN, REDIS_URL="redis://127.0.0.1:1/0")
def test_redis_down_is_a_gauge_not_a_failed_scrape(client, db):
    make_case(make_order(PaymentRoute.ALIPAY, 1000))
    db.session.commit()
    samples = scrape(client)  # a 200: the database's gauges are still read
    assert samples[("refund_redis_up", ())] == 0
    assert not any(name == "refund_rq_queue_depth" for name, _ in samples)
    assert samples[("refund_payouts_stuck", ())] == 0


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_redis_up_is_one(client):
    assert scrape(client)[("refund_redis_up", ())] == 1
