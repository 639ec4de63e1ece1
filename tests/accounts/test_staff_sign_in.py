"""Staff sign-in: failures throttled per username and per IP, unknown names cost the same, failures logged."""

import logging

import pytest

from portal.accounts import services
from portal.accounts.models import StaffUser

PASSWORD = "right-password"  # noqa: S105


@pytest.fixture
def reviewer(app, db):
    user = StaffUser(username="reviewer", display_name="R", role="reviewer")
    user.set_password(PASSWORD, app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/staff/login?lang=en",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_wrong_passwords_lock_the_username_even_for_the_right_password(client, reviewer):
    for _ in range(5):
        assert sign_in(client, "reviewer", "wrong").status_code == 422
    response = sign_in(client, "reviewer", PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many failed sign-ins. Please try again in 5 min." in page
    assert client.get("/staff/").status_code == 302  # not signed in


def test_the_lockout_notice_does_not_tell_whether_the_user_exists(client, reviewer):
    for username in ("reviewer", "nobody-here"):
        for _ in range(5):
            sign_in(client, username, "wrong")
    known = sign_in(client, "reviewer", "wrong")
    unknown = sign_in(client, "nobody-here", "wrong")
    assert known.status_code == unknown.status_code == 429
    notice = "Too many failed sign-ins"
    assert notice in known.get_data(as_text=True) and notice in unknown.get_data(as_text=True)


def test_failures_from_one_ip_lock_every_username_from_it(client, reviewer):
    for n in range(20):
        sign_in(client, f"guess{n}", "wrong", ip="10.0.0.9")
    assert sign_in(client, "reviewer", PASSWORD, ip="10.0.0.9").status_code == 429
    assert sign_in(client, "reviewer", PASSWORD, ip="10.0.0.10").status_code == 303


def test_a_good_sign_in_under_the_limit_works(client, reviewer):
    for _ in range(4):
        sign_in(client, "reviewer", "wrong")
    assert sign_in(client, "reviewer", PASSWORD).status_code == 303


def test_an_unknown_username_checks_a_dummy_hash_made_like_staff_passwords(app, client, db, monkeypatch):
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(
        services, "check_password_hash", lambda hashed, pw: checked.append(hashed) or real(hashed, pw)
    )
    sign_in(client, "nobody-here", "whatever")
    method = app.config["PASSWORD_HASH_METHOD"]
    assert len(checked) == 1 and checked[0].startswith(method.split(":")[0] + ":")


def test_failed_sign_ins_are_logged_without_the_password(client, reviewer, caplog):
    caplog.set_level(logging.WARNING, logger="portal.accounts.services")
    sign_in(client, "reviewer", "hunter2-secret")
    sign_in(client, "nobody", "other-secret")
    text = caplog.text
    assert "staff sign-in failed" in text and "'reviewer'" in text and "'nobody'" in text
    assert "10.0.0.1" in text
    assert "hunter2-secret" not in text and "other-secret" not in text


@pytest.mark.config(OTP_SEND_LIMIT_PHONE="100 per minute;2 per hour")
def test_the_hourly_code_limit_names_the_real_wait(client, db):
    for _ in range(2):
        assert (
            client.post("/login?lang=en", data={"phone": "13800138000", "action": "send"}).status_code == 200
        )
    response = client.post("/login?lang=en", data={"phone": "13800138000", "action": "send"})
    page = response.get_data(as_text=True)
    assert "Please try again in 60 min." in page
    assert "wait a minute" not in page
