"""Customer sign-in with a one-time code through the real SMS pipeline (outbox → RQ → console backend)."""

import re

from sqlalchemy import select

from portal.accounts.models import LoginSession
from portal.notifications.models import ConsoleSms
from portal.outbox import OutboxItem
from tests.conftest import htmx_headers


def latest_code(db, phone="+8613800138000") -> str:
    sms = db.session.scalar(
        select(ConsoleSms).where(ConsoleSms.phone == phone).order_by(ConsoleSms.id.desc())
    )
    assert sms is not None, "no SMS was sent"
    return re.search(r"\d{6}", sms.text).group(0)


def send_code(client, phone="13800138000", **headers):
    return client.post("/login", data={"phone": phone, "action": "send"}, headers=headers)


def test_sign_in_with_code_from_sms(client, db, run_jobs):
    response = send_code(client)
    assert response.status_code == 200
    assert "138" in response.get_data(as_text=True)
    run_jobs()
    code = latest_code(db)
    response = client.post("/login", data={"phone": "13800138000", "code": code, "action": "verify"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/orders")
    page = client.get("/orders").get_data(as_text=True)
    assert "我的订单" in page


def test_code_sms_is_sent_once_and_not_kept(client, db, run_jobs):
    send_code(client)
    run_jobs()
    run_jobs()
    item = db.session.scalar(select(OutboxItem))
    assert item.status == "sent" and item.params == {"code": "******"}
    assert db.session.scalar(select(ConsoleSms)).calls == 1


def test_wrong_code_keeps_phone_and_says_why(client, db, run_jobs):
    send_code(client)
    run_jobs()
    code = latest_code(db)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/login", data={"phone": "13800138000", "code": wrong, "action": "verify"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "验证码不正确" in body and 'value="13800138000"' in body


def test_code_is_single_use(client, db, run_jobs):
    send_code(client)
    run_jobs()
    code = latest_code(db)
    assert (
        client.post("/login", data={"phone": "13800138000", "code": code, "action": "verify"}).status_code
        == 303
    )
    client.post("/logout")
    again = client.post("/login", data={"phone": "13800138000", "code": code, "action": "verify"})
    assert again.status_code == 422


def test_too_many_wrong_codes(client, db, run_jobs):
    send_code(client)
    run_jobs()
    code = latest_code(db)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = client.post("/login", data={"phone": "13800138000", "code": wrong, "action": "verify"})
    assert "错误次数过多" in response.get_data(as_text=True)
    # Even the right code no longer works.
    response = client.post("/login", data={"phone": "13800138000", "code": code, "action": "verify"})
    assert response.status_code == 422


def test_malformed_phone_is_explained_in_english(client):
    response = client.post("/login?lang=en", data={"phone": "12345", "action": "send"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not a valid mobile number" in body and 'value="12345"' in body


def test_sends_are_rate_limited_per_phone(client, db):
    assert send_code(client).status_code == 200
    response = send_code(client)
    assert response.status_code == 422
    assert "请稍等" in response.get_data(as_text=True)


def test_htmx_send_returns_the_form_fragment(client):
    response = send_code(client, **htmx_headers())
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'id="sign-in-form"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_sign_out_ends_the_server_session(client, db, run_jobs):
    send_code(client)
    run_jobs()
    client.post("/login", data={"phone": "13800138000", "code": latest_code(db), "action": "verify"})
    login = db.session.scalar(select(LoginSession))
    cookie = client.get_cookie("session")
    client.post("/logout")
    db.session.expire_all()
    assert db.session.get(LoginSession, login.id).ended_at is not None
    # Replaying the old cookie does not bring the session back.
    client.set_cookie("session", cookie.value)
    assert client.get("/orders").status_code == 302
