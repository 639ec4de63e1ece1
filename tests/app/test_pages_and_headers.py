"""Base layout: security headers, languages, error pages, CSRF, staff sign-in and roles."""

import re

import pytest

from portal.demo.builder import build
from tests.conftest import csrf_from, htmx_headers
from tests.factories import sign_in_customer


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_page_has_no_inline_script_and_htmx_eval_is_off(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and " on" not in html.split("<body", 1)[1].split(">", 1)[0]
    assert '"allowEval": false' in html
    assert re.search(r"/assets/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{10}\.js", html)


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("", "", "登录"),
        ("?lang=en", "", "Sign in"),
        ("", "en-US,en;q=0.9", "Sign in"),
        ("", "zh-CN,zh;q=0.9", "登录"),
    ],
)
def test_language_choice(client, query, header, expected):
    headers = {"Accept-Language": header} if header else {}
    assert expected in client.get("/login" + query, headers=headers).get_data(as_text=True)


def test_language_switch_is_remembered(client):
    client.get("/login?lang=en")
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.get("/login?lang=zh_CN")
    assert "登录" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("lang,text", [("zh_CN", "找不到"), ("en", "Not found")])
def test_404_page_in_both_languages(client, lang, text):
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404 and text in response.get_data(as_text=True)


def test_404_fragment_for_htmx(client):
    response = client.get("/no-such-page?lang=en", headers=htmx_headers())
    body = response.get_data(as_text=True)
    assert response.status_code == 404 and "<html" not in body and "Not found" in body


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_forms_without_csrf_token_are_refused(client):
    response = client.post("/login?lang=en", data={"phone": "13800138000", "action": "send"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_htmx_requests_carry_the_token_from_body_headers(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"phone": "13800138000", "action": "send"},
        headers=htmx_headers(**{"X-CSRFToken": token}),
    )
    assert response.status_code == 200


def test_staff_sign_in_and_roles(client, db):
    build()
    response = client.post("/staff/login?lang=en", data={"username": "reviewer", "password": "wrong"})
    assert response.status_code == 422 and "Wrong username or password" in response.get_data(as_text=True)
    assert 'value="reviewer"' in response.get_data(as_text=True)
    response = client.post("/staff/login", data={"username": "reviewer", "password": "reviewer-demo"})
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 200
    # Staff are not customers: the customer's pages send them to sign in as one.
    assert client.get("/orders").status_code == 302


def test_customer_cannot_open_staff_pages(app, client, db):
    build()
    sign_in_customer(client, app)
    assert client.get("/staff/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/orders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unexpected_error_is_a_translated_500(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom?lang=en")
    assert response.status_code == 500 and "Something went wrong on our side" in response.get_data(
        as_text=True
    )


def test_demo_data_command(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--if-empty"])
    assert first.exit_code == 0 and "Demo data created" in first.output
    second = runner.invoke(args=["demo-data", "--if-empty"])
    assert "nothing to do" in second.output
    more = runner.invoke(args=["demo-data", "--orders", "250"])
    assert more.exit_code == 0 and "Added 250 orders" in more.output


def _probe_url(app, client, headers: dict) -> str:
    """The URL the app believes it was asked for (a route added for the test)."""
    from flask import request

    app.add_url_rule("/_probe", "probe", lambda: request.url)
    return client.get("/_probe", headers=headers).get_data(as_text=True)


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "refund.example.cn"}


@pytest.mark.config(PROXY_FIX_HOPS=1)
def test_behind_an_https_proxy_the_app_sees_https(app, client):
    assert _probe_url(app, client, FORWARDED) == "https://refund.example.cn/_probe"


def test_without_proxy_fix_forwarded_headers_are_not_believed(app, client):
    assert _probe_url(app, client, FORWARDED) == "http://localhost/_probe"
