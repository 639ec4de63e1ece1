"""Pages are never stored (they show personal data); HSTS over HTTPS; sign-ins run out when idle or old."""

from datetime import timedelta

import pytest

from portal.accounts.models import LoginSession
from portal.clock import utcnow
from portal.demo.builder import DEMO_PHONE, build
from tests.factories import open_case_for, sign_in_customer, sign_in_staff


def _plain_get_routes(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in NOT_PAGES
    )


# Not pages: files, the hand-off exchange, and the header's polled unread count (a number, revalidated).
NOT_PAGES = ("static", "accounts.app_enter", "notifications.badge")


def test_every_page_without_arguments_is_no_store_for_customers_and_staff(app, client, db):
    build()
    sign_in_customer(client, app)
    staff = app.test_client()
    sign_in_staff(staff, app, "admin")
    anonymous = app.test_client()
    checked = 0
    for who in (client, staff, anonymous):
        for path in _plain_get_routes(app):
            response = who.get(path)
            if response.status_code == 200 and response.mimetype == "text/html":
                assert response.headers.get("Cache-Control") == "no-store", path
                checked += 1
    assert checked > 10


def test_a_case_page_is_no_store_and_its_poll_is_kept_by_the_browser_only(app, client, db):
    build()
    customer_id = sign_in_customer(client, app, DEMO_PHONE)
    case_id = open_case_for(customer_id).id
    db.session.commit()
    assert client.get(f"/cases/{case_id}").status_code == 200
    assert client.get(f"/cases/{case_id}").headers["Cache-Control"] == "no-store"
    poll = client.get(f"/cases/{case_id}", headers={"HX-Request": "true"})
    assert poll.headers["Cache-Control"] == "private, no-cache"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/portal.css")
    response.close()
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")


def test_no_hsts_over_plain_http_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.config(SESSION_COOKIE_SECURE=True)
def test_hsts_when_the_session_cookie_is_secure(client):
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def _age_sign_in(db, login_id: str, **ago) -> None:
    login = db.session.get(LoginSession, login_id)
    login.created_at = utcnow() - timedelta(**ago)
    db.session.commit()


def _login_id(client) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def test_an_old_sign_in_is_signed_out_on_the_server_too(app, client, db):
    sign_in_customer(client, app)
    assert client.get("/orders").status_code == 200
    login_id = _login_id(client)
    _age_sign_in(db, login_id, hours=24, minutes=1)
    response = client.get("/orders?lang=en")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(LoginSession, login_id).ended_at is not None
    assert "signed out after a while" in client.get("/login?lang=en").get_data(as_text=True)


def test_an_idle_sign_in_is_signed_out(app, client, db):
    sign_in_customer(client, app)
    assert client.get("/orders").status_code == 200
    login_id = _login_id(client)
    with client.session_transaction() as session:
        session["seen"] -= 2 * 3600 + 1
    assert client.get("/orders").status_code == 302
    db.session.expire_all()
    assert db.session.get(LoginSession, login_id).ended_at is not None


def test_activity_keeps_a_sign_in_alive(app, client, db):
    sign_in_customer(client, app)
    client.get("/orders")
    with client.session_transaction() as session:
        session["seen"] -= 2 * 3600 - 120  # idle for just under the limit
    assert client.get("/orders").status_code == 200
    with client.session_transaction() as session:
        assert utcnow().timestamp() - session["seen"] < 3600 * 9  # stamped again (naive UTC epoch)
    assert client.get("/orders").status_code == 200


@pytest.mark.config(SESSION_IDLE_SECONDS=60, SESSION_ABSOLUTE_SECONDS=600)
def test_the_limits_are_settings(app, client, db):
    sign_in_customer(client, app)
    client.get("/orders")
    _age_sign_in(db, _login_id(client), seconds=601)
    assert client.get("/orders").status_code == 302
