"""Redis down (a fault the database-first design must ride out): every customer and staff step still
answers, never a 500; what should go out waits in the outbox, and the readiness probe says so."""

import pytest
from sqlalchemy import select

from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.outbox import OutboxItem
from tests.factories import sign_in_staff
from tests.staff.conftest import OwnUserClient, post_decision

DEAD = "redis://127.0.0.1:1/0"  # nothing listens there: every Redis call is refused
ITEM = "topup_failure_screenshot"
pytestmark = pytest.mark.config(REDIS_URL=DEAD)


def test_a_code_is_asked_for(client, db):
    response = client.post("/login", data={"phone": "13800138000", "action": "send"})
    assert response.status_code == 200
    assert db.session.scalar(select(OutboxItem.status).where(OutboxItem.channel == "sms")) == "pending"


def staff_client(app, username: str) -> OwnUserClient:
    client = OwnUserClient(app, app.response_class, use_cookies=True)
    sign_in_staff(client, app, username)
    return client


def test_the_whole_journey_answers(app, journey, db):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", ITEM)
    submitted = journey.post(
        f"/orders/{order_id}/refund/submit", data={"idempotency_key": journey.idempotency_key(order_id)}
    )
    assert submitted.status_code == 303
    case = db.session.scalar(select(RefundCase))
    for path in (
        "/orders",
        f"/orders/{order_id}",
        "/refunds",
        f"/cases/{case.id}",
        "/messages",
        "/messages/settings",
        "/me",
        "/support",
        "/orders/999999",
    ):
        for lang in ("zh_CN", "en"):
            response = journey.get(f"{path}?lang={lang}")
            assert response.status_code in (200, 404), (path, response.status_code)
    reviewer = staff_client(app, "reviewer")
    for path in ("/staff/", f"/staff/cases/{case.id}"):
        assert reviewer.get(path).status_code == 200, path
    assert post_decision(reviewer, case.id, "claim", case.version).status_code == 303
    db.session.expire_all()
    assert db.session.get(RefundCase, case.id).state == CaseState.UNDER_REVIEW
    assert journey.get(f"/cases/{case.id}?lang=en").status_code == 200
    assert staff_client(app, "admin").get("/staff/operations").status_code == 200


def test_readiness_says_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["redis"]["ok"] is False
