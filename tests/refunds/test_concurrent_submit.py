"""The final submit sent twice at once (same key) on PostgreSQL: one case, both answers 303 to it."""

import os
import threading

import pytest
from sqlalchemy import func, select

from portal.cases.models import RefundCase
from portal.extensions import db
from portal.refunds import views
from tests.factories import sign_in_customer

POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql"))
pytestmark = pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (DATABASE_URL); the CI runs it there")
ITEM = "topup_failure_screenshot"


def test_two_final_submits_at_once_make_one_case_and_both_go_to_it(journey, app, monkeypatch):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", ITEM)
    key = journey.idempotency_key(order_id)
    second = app.test_client()
    sign_in_customer(second, app)  # the same customer (a double tap; a second tab)

    # Both requests are past the "already submitted?" check before either submits.
    barrier = threading.Barrier(2, timeout=30)
    real_submit = views.services.submit_draft

    def submit_together(*args, **kwargs):
        barrier.wait()
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(views.services, "submit_draft", submit_together)
    answers = []

    def post(client):
        response = client.post(f"/orders/{order_id}/refund/submit", data={"idempotency_key": key})
        answers.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=post, args=(c,)) for c in (journey.client, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.rollback()
    case_id = db.session.scalar(select(RefundCase.id))
    assert db.session.scalar(select(func.count(RefundCase.id))) == 1
    assert sorted(answers) == [(303, f"/cases/{case_id}")] * 2
