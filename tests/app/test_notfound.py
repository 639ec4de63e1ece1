"""The 404 lane (portal.notfound): once the app has rendered the page for an unknown address, the same answer
(body and headers) comes from the lane before Flask, logged and counted the same; the rest goes to the app."""

import logging

import pytest

from portal import notfound
from portal.notfound import UnknownAddressLane
from portal.pagecache import APP_SIGN_IN_HINT

VARIANTS = [
    {},
    {"Accept-Encoding": "br, gzip"},
    {"Accept-Encoding": "gzip"},
    {"Accept-Language": "en-US,en;q=0.9"},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Boosted": "true", "Accept-Encoding": "br"},
]


@pytest.fixture
def app_answers(app, monkeypatch):
    """The addresses of the requests the lane passed on to the app (its own answers are not in it)."""
    lane = _lane(app)
    seen = []
    inner = lane.wsgi_app

    def counted(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    monkeypatch.setattr(lane, "wsgi_app", counted)
    return seen


def _lane(app) -> UnknownAddressLane:
    """The lane among the WSGI layers in front of the app."""
    layer = app.wsgi_app
    while not isinstance(layer, UnknownAddressLane):
        layer = getattr(layer, "wsgi_app", None) or layer.app
    return layer


def _comparable(response) -> tuple:
    headers = sorted((name, value) for name, value in response.headers.items() if name != "X-Request-ID")
    return response.status_code, headers, response.get_data()


@pytest.mark.parametrize("headers", VARIANTS)
def test_the_lane_gives_what_the_app_gave(app, journey, app_answers, headers):
    first = journey.client.get("/no/such/page", headers=headers)
    assert len(app_answers) == 1  # rendered by the app, and kept
    second = journey.client.get("/another/unknown", headers=headers)
    third = app.test_client().get("/a/third", headers=headers)  # someone else: the same page
    assert len(app_answers) == 1  # both from the lane
    assert _comparable(first) == _comparable(second) == _comparable(third)
    assert first.status_code == 404 and "Cookie" in first.headers["Vary"]


def test_head_has_the_headers_and_no_body(client, app_answers):
    client.get("/nowhere")
    head = client.head("/nowhere")
    assert head.status_code == 404 and head.get_data() == b"" and int(head.headers["Content-Length"]) > 0
    assert len(app_answers) == 1


def test_logged_and_counted_as_any_answer(client, caplog):
    client.get("/nowhere")
    with caplog.at_level(logging.INFO, logger="portal.request"):
        answer = client.get("/elsewhere", headers={"X-Request-ID": "proxy-id-1234"})
        fresh = client.get("/elsewhere", headers={"X-Request-ID": "bad id!"})
    lines = [record for record in caplog.records if record.name == "portal.request"]
    seen = [(r.route, r.status, r.method, r.principal) for r in lines]
    assert seen == [("<unmatched>", 404, "GET", None)] * 2
    assert answer.headers["X-Request-ID"] == lines[0].request_id == "proxy-id-1234"
    assert fresh.headers["X-Request-ID"] == lines[1].request_id != "bad id!"


def test_what_the_lane_leaves_to_the_app(app, client, journey, app_answers):
    client.get("/nowhere")
    assert len(app_answers) == 1
    # A language asked for in the query is remembered in the session by the app.
    english = client.get("/nowhere?lang=en")
    assert "Not found" in english.get_data(as_text=True) and "session=" in english.headers["Set-Cookie"]
    assert len(app_answers) == 2
    assert "Not found" in client.get("/somewhere").get_data(as_text=True)  # the lane reads that session
    assert len(app_answers) == 2
    assert client.post("/nowhere").status_code == 404 and len(app_answers) == 3
    # Known addresses, a missing slash and another method are never the lane's.
    order_id = journey.orders["game_card_unused"]
    assert client.get("/staff").status_code == 308
    assert client.get("/orders").status_code == 200
    assert client.get(f"/orders/{order_id}/refund/submit").status_code == 405  # a form's POST address
    assert len(app_answers) == 6
    # A message still to show, or a sign-in the APP opened: the app renders for that person.
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "kept for the next page")]
    client.get("/nowhere")
    with client.session_transaction() as session:
        session.pop("_flashes", None)
        session[APP_SIGN_IN_HINT] = True
    client.get("/nowhere")
    assert len(app_answers) == 8


def test_a_cookie_that_does_not_verify_is_no_session(app, client, app_answers):
    client.get("/nowhere")
    client.set_cookie("session", "forged.cookie.value")
    assert client.get("/nowhere").status_code == 404
    assert len(app_answers) == 1


def test_whatever_the_lane_cannot_decide_goes_to_the_app(client, app_answers, monkeypatch):
    client.get("/nowhere")

    def unreadable(app, environ):
        raise ValueError("a cookie this layer cannot read")

    monkeypatch.setattr(notfound, "read_session", unreadable)
    response = client.get("/somewhere")
    assert response.status_code == 404 and app_answers == ["/nowhere", "/somewhere"]
