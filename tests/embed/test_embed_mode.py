"""Embed mode: set by the APP's hand-off, kept for the session, ended by signing out; no site chrome, the
APP's language, and a way back to the order list (and a close button) on every page."""

import re

import pytest
from sqlalchemy import select

from portal.orders.models import Order
from tests.conftest import htmx_headers
from tests.embed.helpers import enter_from_app, is_embedded
from tests.factories import sign_in_customer


@pytest.fixture
def first_order(world):
    return {"order_id": world.session.scalar(select(Order.id).order_by(Order.id))}


def test_the_hand_off_opens_the_portal_without_site_chrome(client, world):
    response = enter_from_app(client, lang="en")
    assert response.headers["Location"] == "/orders"
    page = client.get("/orders").get_data(as_text=True)
    assert is_embedded(page)
    assert re.search(r'<body[^>]*class="[^"]*\bembed\b', page)
    # 我的订单 is a root page: no back arrow; its tab is current in the tab bar.
    assert "titlebar-back" not in page and re.search(r'href="/orders" aria-current="page"', page)
    assert 'href="/embed/close" data-bridge-close' in page
    assert re.search(r"/assets/js/bridge\.[0-9a-f]{10}\.js", page)
    # The APP's language, and no way to change it here.
    assert '<html lang="en">' in page and "My orders" in page and "中文" not in page


def test_the_app_language_chinese(client, world):
    enter_from_app(client, lang="zh_CN")
    page = client.get("/orders").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "我的订单" in page and is_embedded(page)


@pytest.mark.parametrize(
    ("path", "parent"),
    [
        ("/orders", None),
        ("/orders?q=%E7%8E%8B", None),
        ("/refunds", None),
        ("/messages", None),
        ("/me", None),
        ("/messages/settings", "/me"),
        ("/orders/{order_id}", "/orders"),
        ("/orders/{order_id}/refund", "/orders/{order_id}"),
        ("/embed/close", "/orders"),
        ("/no-such-page", "/orders"),
    ],
)
def test_embed_mode_survives_navigation_and_every_page_leads_back(client, first_order, path, parent):
    """Root pages (the tabs) carry the tab bar to every customer page; the others go back to their parent."""
    enter_from_app(client)
    response = client.get(path.format(**first_order))
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 404)
    assert is_embedded(page), path
    if parent is None:
        assert 'class="tabbar"' in page and "titlebar-back" not in page
        for root in ("/orders", "/refunds", "/messages", "/me"):
            assert f'href="{root}"' in page
    else:
        assert f'<a class="titlebar-back embed-back" href="{parent.format(**first_order)}" data-back>' in page
    assert "<script>" not in page  # CSP: no inline script, the bridge reads data attributes


def test_embed_mode_is_kept_on_the_next_request_of_the_session(client, world):
    enter_from_app(client)
    for _ in range(3):
        assert is_embedded(client.get("/orders").get_data(as_text=True))
    # A fragment is still only the fragment: the top bar belongs to full pages.
    fragment = client.get("/orders", headers=htmx_headers()).get_data(as_text=True)
    assert "<html" not in fragment and "embed-bar" not in fragment


def test_embed_mode_ends_at_sign_out(app, client, world):
    enter_from_app(client)
    me = client.get("/me").get_data(as_text=True)
    assert 'action="/logout"' in me  # sign-out is offered on 我的
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert "embed-bar" not in page and "site-header" in page
    assert client.get("/orders").status_code == 302  # the session is over
    # The same browser signing in with a code gets the ordinary site.
    sign_in_customer(client, app)
    page = client.get("/orders").get_data(as_text=True)
    assert "site-header" in page and "embed-bar" not in page


def test_a_new_hand_off_ends_the_browser_s_previous_session(app, client, world):
    from portal.accounts.models import LoginSession
    from portal.extensions import db

    enter_from_app(client)
    enter_from_app(client)
    with app.app_context():
        sessions = db.session.scalars(db.select(LoginSession).order_by(LoginSession.created_at)).all()
        assert [s.ended_at is not None for s in sessions] == [True, False]


def test_signing_in_on_the_mobile_site_is_not_embed_mode(app, client, world):
    sign_in_customer(client, app)
    page = client.get("/orders").get_data(as_text=True)
    assert "site-header" in page and "lang-switch" in page and "embed-bar" not in page
    assert "bridge.js" not in page


def test_the_close_page_works_without_javascript(client, world):
    enter_from_app(client, lang="en")
    page = client.get("/embed/close").get_data(as_text=True)
    assert "You can close this page now" in page
    assert 'class="button secondary block" href="/orders"' in page
