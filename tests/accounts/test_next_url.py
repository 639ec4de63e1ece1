"""One `next` check for every sign-in (staff, customer code, APP hand-off), read as a browser reads URLs."""

import time

import pytest

from portal.accounts.handoff import make_token
from portal.accounts.models import StaffUser
from portal.accounts.next_url import safe_next

HOSTILE = [
    "//evil.com",
    "/\t/evil.com",
    "/%09/evil.com",
    "\t//evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "/%0d%0a/evil.com",
    "/%0D%0ALocation:%20http://evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/%5cevil.com",
    "/%2F/evil.com",
    "/%252F%252Fevil.com",
    "https://evil.com",
    "http:evil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " //evil.com",
    "evil.com",
    "///evil.com",
    "/\x00/evil.com",
    "/\x7f",
    "",
    "/" + "a" * 2001,
    None,
    ["/orders"],
    {"path": "/orders"},
    42,
]
FRIENDLY = [
    "/",
    "/orders",
    "/orders?q=Q&page=2",
    "/cases/3",
    "/orders?q=%E8%AE%A2%E5%8D%95",
    "/staff/?state=new",
]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hostile_values_are_refused(value):
    assert safe_next(value) is None


@pytest.mark.parametrize("value", FRIENDLY)
def test_paths_on_this_site_are_kept_as_they_are(value):
    assert safe_next(value) == value


def _staff(db, app):
    user = StaffUser(username="reviewer", display_name="R", role="reviewer")
    user.set_password("right-password", app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.commit()


@pytest.mark.parametrize(
    "value", ["/%09/evil.com", "/\t/evil.com", "/%0d%0a/x", "/\r\n/x", "/\\evil.com"], ids=repr
)
def test_staff_sign_in_never_leaves_the_site_and_never_fails(app, client, db, value):
    _staff(db, app)
    response = client.post(
        "/staff/login",
        query_string={"next": value},
        data={"username": "reviewer", "password": "right-password"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"


def test_staff_sign_in_keeps_a_local_next(app, client, db):
    _staff(db, app)
    response = client.post(
        "/staff/login?next=/staff/%3Fstate%3Dnew", data={"username": "reviewer", "password": "right-password"}
    )
    assert response.headers["Location"] == "/staff/?state=new"


@pytest.mark.parametrize("value", ["/%09/evil.com", "/\r\n/x"], ids=repr)
def test_customer_code_sign_in_never_leaves_the_site(client, db, run_jobs, value):
    from tests.accounts.test_sign_in import latest_code, send_code

    send_code(client)
    run_jobs()
    response = client.post(
        "/login",
        query_string={"next": value},
        data={"phone": "13800138000", "code": latest_code(db), "action": "verify"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/orders")


@pytest.mark.parametrize("value", ["/\t/evil.com", "/%09/evil.com", "/\n/x", "/\\evil.com"], ids=repr)
def test_a_hand_off_token_with_a_hostile_next_is_refused(client, db, value):
    token = make_token("test-app-secret", "+8613800138000", int(time.time()), next_path=value)
    response = client.get(f"/app/enter?token={token}")
    assert response.status_code == 400
    assert client.get("/orders").status_code == 302  # nobody signed in
