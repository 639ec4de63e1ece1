"""Logs: one JSON line per request and per job, with request id, route, status, duration, principal, job and
outbox ids; a full journey's lines hold no phone number, code, token, session id or account number."""

import io
import json
import logging
import re
import time

import pytest
from sqlalchemy import select

from portal.accounts import handoff
from portal.accounts.models import LoginSession, StaffRole
from portal.notifications.models import ConsoleSms
from portal.ops import logs
from portal.orders.kinds import PaymentRoute
from portal.payouts.receiving import luhn_ok
from tests.factories import approve, make_case, make_order
from tests.factories import new_customer as customer
from tests.factories import new_staff as staff_user

CARD = next(f"622202123456789012{d}" for d in range(10) if luhn_ok(f"622202123456789012{d}"))


@pytest.fixture
def captured():
    """Every record of the test, as the web and worker processes would write it (JSON lines, DEBUG up)."""
    stream = io.StringIO()
    handler = logs.json_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_line_per_request_with_its_id(client, captured):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})
    assert response.headers["X-Request-ID"] == "lb-1234abcd"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    requests = [line for line in lines(captured) if line["logger"] == "portal.request"]
    assert [r["request_id"] for r in requests] == ["lb-1234abcd", made]
    first = requests[0]
    assert first["route"] == "/healthz" and first["status"] == 200 and first["method"] == "GET"
    assert first["level"] == "INFO" and first["duration_ms"] >= 0 and first["principal"] is None
    assert "time" in first


def test_a_full_journey_logs_no_personal_data(app, db, client, run_jobs, captured):
    phone = "13800138000"
    # Sign in with an SMS code (a wrong one first).
    client.post("/login", data={"phone": phone, "action": "send"})
    run_jobs()
    code = re.search(r"\d{6}", db.session.scalar(select(ConsoleSms.text))).group(0)
    client.post(
        "/login",
        data={"phone": phone, "code": "000000" if code != "000000" else "111111", "action": "verify"},
    )
    assert client.post("/login", data={"phone": phone, "code": code, "action": "verify"}).status_code == 303
    # The APP's hand-off, in another browser.
    token = handoff.make_token(app.config["APP_LINK_SECRET"], "+86" + phone, int(time.time()))
    assert app.test_client().get(f"/app/enter?token={token}").status_code == 303
    # An offline refund: the customer gives a card number, staff sign in with a password and see it.
    customer()
    staff_user("senior", StaffRole.SENIOR)
    payout = approve(make_case(make_order(PaymentRoute.OFFLINE, 4000)))
    form = {"kind": "bank_card", "holder": "王先生", "number": CARD, "bank": "工商银行"}
    assert client.post(f"/payouts/cases/{payout.case_id}/account", data=form).status_code == 303
    staff = app.test_client()
    staff.post("/staff/login", data={"username": "senior", "password": "wrong-password"})
    assert (
        staff.post("/staff/login", data={"username": "senior", "password": "senior-demo"}).status_code == 303
    )
    assert CARD in staff.get(f"/staff/payouts/{payout.id}").get_data(as_text=True)
    run_jobs()

    text = captured.getvalue()
    records = lines(captured)
    assert any(
        (r.get("principal") or "").startswith("customer:") for r in records if r["logger"] == "portal.request"
    )
    assert any(
        (r.get("principal") or "").startswith("staff:") for r in records if r["logger"] == "portal.request"
    )
    jobs = [r for r in records if r["logger"] == "worker.job"]
    assert jobs and all(r["job_id"] and r["outcome"] for r in jobs)
    assert any("outbox_id" in r for r in jobs)
    secrets = {
        "phone": phone,
        "code": code,
        "card": CARD,
        "card grouped": CARD[:4] + " " + CARD[4:8],
        "hand-off token": token,
        "token signature": token.rsplit(".", 1)[1],
        "password": "senior-demo",
        "wrong password": "wrong-password",
        **{f"session {n}": s for n, s in enumerate(db.session.scalars(select(LoginSession.id)))},
    }
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, f"in the logs: {leaked}"
