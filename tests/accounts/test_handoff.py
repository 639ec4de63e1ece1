"""APP hand-off: a short-lived, single-use, signed token becomes a session, and leaves no token behind."""

import time

import pytest

from portal.accounts.handoff import HandoffError, make_token, read_token

SECRET = "test-app-secret"


def link(token: str) -> str:
    return f"/app/enter?token={token}"


def test_token_becomes_session_and_redirects_to_target(client, db):
    token = make_token(SECRET, "+8613800138000", int(time.time()), lang="en", next_path="/orders?q=Q")
    response = client.get(link(token))
    assert response.status_code == 303
    assert response.headers["Location"] == "/orders?q=Q"
    assert "token" not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/orders").get_data(as_text=True)
    assert "My orders" in page  # the APP's language


def test_replayed_token_is_refused(client, db):
    token = make_token(SECRET, "+8613800138000", int(time.time()))
    assert client.get(link(token)).status_code == 303
    client.post("/logout")
    response = client.get(link(token) + "&lang=en")
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)
    assert client.get("/orders").status_code == 302


def test_expired_token_is_refused(client, db):
    token = make_token(SECRET, "+8613800138000", int(time.time()) - 120)
    response = client.get(link(token) + "&lang=en")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_tampered_token_is_refused(client, db):
    token = make_token(SECRET, "+8613800138000", int(time.time()))
    body, signature = token.split(".")
    forged = make_token(SECRET, "+8613900139000", int(time.time())).split(".")[0] + "." + signature
    response = client.get(link(forged))
    assert response.status_code == 400
    assert "登录链接无效" in response.get_data(as_text=True) or "not valid" in response.get_data(as_text=True)
    assert client.get("/orders").status_code == 302


def test_token_signed_with_another_secret_is_refused(client, db):
    token = make_token("someone-else", "+8613800138000", int(time.time()))
    assert client.get(link(token)).status_code == 400


def test_token_lifetime_over_sixty_seconds_is_refused():
    now = int(time.time())
    token = make_token(SECRET, "+8613800138000", now, ttl=300)
    with pytest.raises(HandoffError) as error:
        read_token(token, SECRET, now, max_age=60)
    assert error.value.code == "expired"


def test_a_token_of_an_unknown_format_version_is_refused():
    import base64
    import hashlib
    import hmac
    import json

    now = int(time.time())
    payload = {"v": 2, "phone": "+8613800138000", "iat": now, "exp": now + 30, "jti": "abcdefgh12"}
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    digest = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()
    token = body + "." + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    with pytest.raises(HandoffError) as error:
        read_token(token, SECRET, now, max_age=60)
    assert error.value.code == "malformed"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "\\\\evil"])
def test_next_must_stay_on_this_site(target):
    now = int(time.time())
    token = make_token(SECRET, "+8613800138000", now, next_path=target)
    with pytest.raises(HandoffError):
        read_token(token, SECRET, now, max_age=60)


def test_garbage_token_is_a_clear_page(client, db):
    response = client.get("/app/enter?token=not-a-token&lang=en")
    assert response.status_code == 400
    assert "<h1>" in response.get_data(as_text=True)


def test_app_link_command_prints_a_working_link(app, client, db):
    result = app.test_cli_runner().invoke(
        args=["app-link", "13800138000", "--lang", "en", "--next", "/orders"]
    )
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://127.0.0.1:5000/app/enter?token=")
    response = client.get(url.removeprefix("http://127.0.0.1:5000"))
    assert response.status_code == 303 and response.headers["Location"] == "/orders"


@pytest.mark.parametrize("phone", [13800138000, ["+8613800138000"], {"n": 1}, None])
def test_a_signed_token_whose_phone_is_not_a_string_is_refused(client, db, phone):
    import base64
    import hashlib
    import hmac
    import json

    now = int(time.time())
    payload = {"v": 1, "phone": phone, "iat": now, "exp": now + 30, "jti": "a-long-enough-id"}
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    mac = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()
    token = body + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    response = client.get(link(token))
    assert response.status_code == 400
    with pytest.raises(HandoffError):
        read_token(token, SECRET, now, 60)
