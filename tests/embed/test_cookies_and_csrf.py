"""Cookies and headers for webviews: a __Host- Secure session cookie in production, HttpOnly and Lax;
framing rules from settings; and CSRF over HTTPS that holds without a Referer (webviews may send none)."""

import pytest
from sqlalchemy import select

from portal.demo.builder import build
from portal.embed.origin import same_site_or_unknown
from portal.embed.setup import configure_session_cookie
from portal.orders.models import Order
from tests.conftest import csrf_from
from tests.embed.helpers import HTTPS, enter_from_app


def session_cookie_header(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "session=" in c]
    assert len(cookies) == 1, cookies
    return cookies[0]


@pytest.mark.config(SESSION_COOKIE_SECURE=True)
def test_production_session_cookie_is_host_prefixed_secure_httponly_lax(client, db):
    build()
    cookie = session_cookie_header(enter_from_app(client, base_url=HTTPS))
    assert cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes and "domain" not in attributes
    assert "Path=/" in cookie and "SameSite=Lax" in cookie
    assert client.get("/orders", base_url=HTTPS).status_code == 200


def test_development_session_cookie_is_httponly_lax_but_not_secure(client, db):
    build()
    cookie = session_cookie_header(enter_from_app(client))
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_cookie_name_rules():
    config = {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_NAME": "session"}
    configure_session_cookie(config)
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"
    # A cookie for a parent domain cannot be __Host-; a name chosen on purpose is kept.
    shared = dict(config, SESSION_COOKIE_NAME="session", SESSION_COOKIE_DOMAIN="x.cn")
    configure_session_cookie(shared)
    assert shared["SESSION_COOKIE_NAME"] == "session"
    named = {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_NAME": "rc"}
    configure_session_cookie(named)
    assert named["SESSION_COOKIE_NAME"] == "rc"


@pytest.mark.config(FRAME_ANCESTORS="'self' https://partner.example.com")
def test_frame_ancestors_come_from_settings(client):
    response = client.get("/login")
    assert "frame-ancestors 'self' https://partner.example.com" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


@pytest.fixture
def webview(app, client, db):
    """A customer inside the APP over HTTPS, with CSRF on; returns (client, form token, an order id)."""
    build()
    enter_from_app(client, base_url=HTTPS)
    page = client.get("/orders", base_url=HTTPS).get_data(as_text=True)
    order_id = db.session.scalar(select(Order.id).order_by(Order.id))
    return client, csrf_from(page), order_id


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_webview_without_referer_can_submit_forms(webview):
    client, token, order_id = webview
    response = client.post(
        f"/orders/{order_id}/refund",
        data={"csrf_token": token, "refund_type": "nonsense"},
        base_url=HTTPS,
    )
    # The form was read (and its bad choice refused), not stopped by CSRF.
    assert response.status_code == 422
    response = client.post("/logout", data={"csrf_token": token}, base_url=HTTPS)
    assert response.status_code == 303


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_sign_in_form_works_without_referer_over_https(client, db):
    token = csrf_from(client.get("/login", base_url=HTTPS).get_data(as_text=True))
    response = client.post(
        "/login?lang=en",
        data={"csrf_token": token, "phone": "13800138000", "action": "send"},
        base_url=HTTPS,
    )
    assert response.status_code == 200 and "on its way" in response.get_data(as_text=True)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_same_site_referer_or_origin_is_accepted(webview):
    client, token, order_id = webview
    for headers in ({"Referer": f"{HTTPS}/orders"}, {"Origin": HTTPS}, {"Origin": "null"}):
        response = client.post(
            f"/orders/{order_id}/refund",
            data={"csrf_token": token, "refund_type": "nonsense"},
            base_url=HTTPS,
            headers=headers,
        )
        assert response.status_code == 422, headers


@pytest.mark.config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Referer": "https://evil.example/page"},
        {"Origin": "https://evil.example"},
        {"Referer": "http://localhost/orders"},
    ],
    ids=["no-token", "foreign-referer", "foreign-origin", "downgraded-referer"],
)
def test_a_missing_token_or_a_foreign_origin_is_refused(webview, headers):
    client, token, _ = webview
    data = {} if not headers else {"csrf_token": token}
    response = client.post("/logout", data=data, base_url=HTTPS, headers=headers)
    assert response.status_code == 400
    assert client.get("/orders", base_url=HTTPS).status_code == 200  # still signed in


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_htmx_posts_without_referer_carry_the_header_token(webview):
    client, token, order_id = webview
    response = client.post(
        f"/orders/{order_id}/refund",
        data={"refund_type": "nonsense"},
        base_url=HTTPS,
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)


def test_same_site_rules():
    assert same_site_or_unknown(None, None, "rc.example")
    assert same_site_or_unknown("null", None, "rc.example")
    assert same_site_or_unknown("https://rc.example", None, "rc.example")
    assert same_site_or_unknown(None, "https://rc.example/orders?q=1", "rc.example")
    assert not same_site_or_unknown("https://rc.example.evil", None, "rc.example")
    assert not same_site_or_unknown(None, "https://evil.example/", "rc.example")
    assert not same_site_or_unknown(None, "http://rc.example/", "rc.example")
    # Origin wins over Referer when both are sent.
    assert not same_site_or_unknown("https://evil.example", "https://rc.example/", "rc.example")
    # Over plain HTTP (development, or TLS ended at a proxy) only the host is compared.
    assert same_site_or_unknown("http://127.0.0.1:5000", None, "127.0.0.1:5000", secure=False)
    assert same_site_or_unknown("https://rc.example", None, "rc.example", secure=False)
    assert not same_site_or_unknown("http://evil.example", None, "rc.example", secure=False)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_foreign_origin_is_refused_over_plain_http_too(client, db):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    data = {"csrf_token": token, "phone": "13800138000", "action": "send"}
    assert client.post("/login", data=data, headers={"Origin": "http://evil.example"}).status_code == 400
    assert client.post("/login", data=data, headers={"Origin": "http://localhost"}).status_code == 200
