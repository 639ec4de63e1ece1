"""Bridge events decided on the server: a case submitted, a decision, a payout's result — each told to the
APP once, on the next page the customer sees inside the APP (or in a fragment that includes the marker)."""

import pytest
from flask import render_template_string
from sqlalchemy import select

from portal.accounts.models import Customer
from portal.demo.builder import DEMO_PHONE, build
from portal.embed import bridge
from portal.embed.bridge import CaseChange
from portal.extensions import db
from portal.orders.models import Order
from tests.embed.helpers import bridge_events, enter_from_app
from tests.factories import approve, open_case_for, pay, sign_in_customer


def change(**overrides) -> CaseChange:
    values = {
        "event_id": 7,
        "case_id": 3,
        "case_number": "RF2026112800000001",
        "order_number": "ZS1",
        "from_state": None,
        "to_state": "submitted",
        "requested_fen": 5000,
        "approved_fen": None,
        "payment_route": "alipay",
        "url": "/cases/3",
    }
    return CaseChange(**{**values, **overrides})


def test_which_changes_become_bridge_events():
    submitted = bridge.event_for(change())
    assert submitted.name == "case_submitted" and submitted.id == "case-event-7"
    assert submitted.payload == {
        "case": "RF2026112800000001",
        "case_id": 3,
        "order": "ZS1",
        "state": "submitted",
        "url": "/cases/3",
        "amount_fen": 5000,
    }
    approved = bridge.event_for(change(from_state="under_review", to_state="approved", approved_fen=3000))
    assert approved.name == "decision_arrived"
    assert approved.payload["decision"] == "approved" and approved.payload["amount_fen"] == 3000
    rejected = bridge.event_for(change(from_state="under_review", to_state="rejected"))
    assert rejected.payload["decision"] == "rejected" and rejected.payload["amount_fen"] is None
    paid = bridge.event_for(change(from_state="executing", to_state="refunded", approved_fen=3000))
    assert paid.name == "payout_result"
    assert paid.payload["result"] == "refunded" and paid.payload["route"] == "alipay"
    for quiet in ("evidence_received", "under_review", "executing", "manual", "withdrawn"):
        assert bridge.event_for(change(from_state="submitted", to_state=quiet)) is None
    assert '"amount_fen":5000' in submitted.payload_json()
    # Staff claiming or assigning a decided case logs an entry but changes nothing for the APP.
    for decided in ("arbitration", "approved", "refunded"):
        assert bridge.event_for(change(from_state=decided, to_state=decided)) is None


@pytest.fixture
def customer_id(db):
    build()
    return db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))


def page_events(client, path: str = "/orders") -> list[tuple[str, dict]]:
    return bridge_events(client.get(path).get_data(as_text=True))


def test_submission_decision_and_payout_are_each_told_once(client, customer_id):
    enter_from_app(client)
    assert page_events(client) == []  # the first page inside the APP tells no history
    case = open_case_for(customer_id, None, auto=None)
    events = page_events(client)
    assert [name for name, _ in events] == ["case_submitted"]
    assert events[0][1]["case"] == case.number and events[0][1]["amount_fen"] == case.requested_fen
    assert page_events(client) == []  # told once
    approve(case)
    decisions = [payload for name, payload in page_events(client) if name == "decision_arrived"]
    assert decisions == [
        {
            "case": case.number,
            "case_id": case.id,
            "order": case.order.number,
            "state": "approved",
            "decision": "approved",
            "amount_fen": case.requested_fen,
            "url": decisions[0]["url"],
        }
    ]
    assert decisions[0]["url"].endswith(f"/{case.id}")
    pay(case)
    results = page_events(client, "/embed/close")  # any page of the portal carries the news
    assert [name for name, _ in results] == ["payout_result"]
    assert results[0][1]["result"] == "refunded" and results[0][1]["route"] == str(case.order.payment_route)


def test_an_error_page_keeps_the_news_for_the_next_real_page(client, customer_id):
    enter_from_app(client)
    page_events(client)
    open_case_for(customer_id, None, auto=None)
    missing = client.get("/favicon.ico")  # what a browser fetches and never shows
    assert missing.status_code == 404 and bridge_events(missing.get_data(as_text=True)) == []
    assert [name for name, _ in page_events(client)] == ["case_submitted"]


def test_events_of_a_new_session_that_happened_while_the_app_was_closed(client, customer_id):
    enter_from_app(client)
    page_events(client)
    case = open_case_for(customer_id, None, auto=None)
    client.post("/logout")
    enter_from_app(client)
    events = page_events(client)
    assert [name for name, _ in events] == ["case_submitted"] and events[0][1]["case"] == case.number


def test_the_mobile_site_renders_no_events_and_keeps_them_for_the_app(app, client, customer_id):
    enter_from_app(client)
    page_events(client)
    client.post("/logout")
    open_case_for(customer_id, None, auto=None)
    sign_in_customer(client, app)
    assert page_events(client) == []
    client.post("/logout")
    enter_from_app(client)
    assert [name for name, _ in page_events(client)] == ["case_submitted"]


def test_other_customers_cases_are_not_told(client, customer_id):
    enter_from_app(client)
    page_events(client)
    other = Customer(phone="+8618600009999", has_app=True)
    db.session.add(other)
    db.session.commit()
    order = db.session.scalar(select(Order).where(Order.customer_id == customer_id).order_by(Order.id.desc()))
    order.customer_id = other.id
    db.session.commit()
    open_case_for(other.id, None, auto=None)
    assert page_events(client) == []


def test_a_fragment_that_includes_the_marker_tells_the_app(app, client, customer_id):
    @app.get("/test-fragment")
    def fragment():
        return render_template_string('<div id="timeline">{% include "embed/_bridge_events.html" %}</div>')

    enter_from_app(client)
    assert client.get("/test-fragment").get_data(as_text=True) == '<div id="timeline"></div>'
    open_case_for(customer_id, None, auto=None)
    events = bridge_events(client.get("/test-fragment").get_data(as_text=True))
    assert [name for name, _ in events] == ["case_submitted"]
    assert page_events(client) == []  # the full page after it does not repeat it
