"""Inside the APP, in a real browser with a phone viewport and an Android WebView user agent: from the
hand-off link to a submitted case, with a stub bridge that records what the page tells the APP. No site
chrome on any page, and every page has a way back to the order list."""

import io
import json
import re
import time

import pytest
from PIL import Image
from sqlalchemy import select

from portal.accounts.handoff import make_token
from portal.cases.models import RefundCase
from portal.demo.builder import DEMO_PHONE
from portal.extensions import db

pytestmark = pytest.mark.browser

WEBVIEW_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/126.0.0.0 Mobile Safari/537.36"
)
# What the APP's Android code does with addJavascriptInterface(obj, "RefundBridge"), recorded in Python.
STUB_BRIDGE = "window.RefundBridge = { postMessage: function (json) { window.__recordBridge(json); } };"
ITEM = "topup_failure_screenshot"


def handoff(lang: str = "en") -> str:
    return "/app/enter?token=" + make_token("test-app-secret", DEMO_PHONE, int(time.time()), lang=lang)


def screenshot() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (360, 640), "white").save(out, format="JPEG", quality=85)
    return out.getvalue()


def app_page(phone_page, js_enabled: bool = True):
    """A phone page in a 'webview' whose APP listens on the Android bridge; returns (page, messages)."""
    page = phone_page(js_enabled=js_enabled, locale="zh-CN", user_agent=WEBVIEW_UA)
    messages: list[dict] = []
    if js_enabled:
        page.expose_function("__recordBridge", lambda raw: messages.append(json.loads(raw)))
        page.add_init_script(STUB_BRIDGE)
    return page, messages


def assert_embedded(page) -> None:
    """No site header or language switch; the title bar names the page and closes; a root page carries the tab
    bar to every customer page, any other page has a back arrow to its parent."""
    for chrome in (".site-header", ".site-footer", ".lang-switch"):
        assert page.locator(chrome).count() == 0, (chrome, page.url)
    assert page.locator(".embed-bar .titlebar-title").inner_text().strip(), page.url
    back = page.locator(".embed-bar a.embed-back")
    if back.count():
        assert back.get_attribute("href").startswith("/") and back.is_visible(), page.url
    else:
        tabs = page.locator(".tabbar a")
        assert [tabs.nth(i).get_attribute("href") for i in range(tabs.count())] == [
            "/orders", "/refunds", "/messages", "/me"
        ], page.url
    assert page.locator(".embed-bar a.embed-close").is_visible()


def wait_for(messages: list[dict], event: str, page, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in messages if m["event"] == event]
        if found:
            return found[-1]
        page.wait_for_timeout(100)
    raise AssertionError(f"no {event!r} bridge message; got {[m['event'] for m in messages]}")


def test_from_hand_off_to_a_submitted_case_inside_the_app(phone_page, live_server):
    page, messages = app_page(phone_page)
    page.goto(handoff("en"))
    page.wait_for_url("**/orders")
    assert "token" not in page.url
    assert_embedded(page)
    assert page.locator("h1").inner_text() == "My orders"

    page.locator("#q").fill("Q-coin")
    page.wait_for_url(re.compile(r"[?&]q="))
    first = page.locator(".order-list li").first
    first.locator(".refund-badge.ok").wait_for()
    first.locator("a.row").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    assert_embedded(page)
    page.locator("#refund a[href$='/refund']").click()

    page.wait_for_url(re.compile(r"/refund$"))
    assert_embedded(page)
    page.locator("label[for=type-not_received]").click()
    page.locator("#policy-hint .checklist-preview").wait_for()
    page.locator("button[name=action][value=continue]").click()

    page.wait_for_url("**/refund/reason")
    assert_embedded(page)
    page.locator("#reason").fill("The top-up never arrived in the game.")
    page.locator("#wizard-form button[type=submit]").click()

    page.wait_for_url("**/refund/evidence")
    assert_embedded(page)
    item = page.locator(f"#item-{ITEM}")
    item.locator("input[type=file][multiple]").set_input_files(
        files=[{"name": "screenshot.jpg", "mimeType": "image/jpeg", "buffer": screenshot()}]
    )
    page.locator(f"#item-{ITEM}-body .tick").wait_for()
    page.locator(".actionbar a.primary").click()

    page.wait_for_url("**/refund/review")
    assert_embedded(page)
    assert not [m for m in messages if m["event"] == "case_submitted"]
    page.locator("#wizard-form form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert_embedded(page)
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))
    with live_server.app.app_context():
        case = db.session.scalar(select(RefundCase).where(RefundCase.id == case_id))
        number, amount = case.number, case.requested_fen
        db.session.remove()
    submitted = wait_for(messages, "case_submitted", page)
    assert submitted["source"] == "refund-center" and submitted["version"] == 1
    assert submitted["payload"]["case"] == number and submitted["payload"]["case_id"] == case_id
    assert submitted["payload"]["amount_fen"] == amount
    assert submitted["payload"]["url"].endswith(f"/cases/{case_id}")
    # Reloading does not tell the APP again.
    page.reload()
    page.wait_for_timeout(700)
    assert [m["id"] for m in messages].count(submitted["id"]) == 1

    # The way back goes to the parent (退款记录), then the tab bar to 我的订单; closing: the APP hears "close"
    # and the page stays where it is.
    page.locator(".embed-bar a.embed-back").click()
    page.wait_for_url("**/refunds")
    assert_embedded(page)
    page.locator(".tabbar a[href='/orders']").click()
    page.wait_for_url("**/orders")
    page.locator(".embed-bar a.embed-close").click()
    assert wait_for(messages, "close", page)["payload"] == {"from": "/orders"}
    assert page.url.endswith("/orders")


def test_links_leaving_the_portal_go_to_the_app_not_the_webview(phone_page, live_server):
    page, messages = app_page(phone_page)
    page.goto(handoff())
    page.wait_for_url("**/orders")
    page.evaluate(
        """() => {
            const a = document.createElement("a");
            a.href = "https://help.example.com/refunds";
            a.textContent = "Help";
            a.id = "external";
            a.className = "button secondary block";
            document.querySelector("main").prepend(a);
        }"""
    )
    page.locator("#external").click()
    assert wait_for(messages, "open_external", page)["payload"] == {"url": "https://help.example.com/refunds"}
    page.wait_for_timeout(300)
    assert page.url.endswith("/orders")


def test_without_a_bridge_the_close_button_leads_to_a_close_page(phone_page, live_server):
    page = phone_page(js_enabled=True, locale="en", user_agent=WEBVIEW_UA)
    page.goto(handoff())
    page.wait_for_url("**/orders")
    page.evaluate(
        """() => {
            const a = document.createElement("a");
            a.href = "https://help.example.com/";
            a.id = "external";
            a.textContent = "Help";
            a.className = "button secondary block";
            document.querySelector("main").prepend(a);
        }"""
    )
    # No native bridge: an external link is sent out of the webview (a new window), never loaded in it.
    with page.expect_popup() as popup:
        page.locator("#external").click()
    popup.value.close()
    assert page.url.endswith("/orders")
    page.locator(".embed-bar a.embed-close").click()
    page.wait_for_url("**/embed/close")
    assert_embedded(page)
    page.locator("main a[href='/orders']").click()
    page.wait_for_url("**/orders")


def test_embed_pages_without_javascript(phone_page, live_server):
    page, _ = app_page(phone_page, js_enabled=False)
    page.goto(handoff())
    page.wait_for_url("**/orders")
    assert_embedded(page)
    page.locator(".order-list li a.row").first.click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    assert_embedded(page)
    page.locator(".embed-bar a.embed-close").click()
    page.wait_for_url("**/embed/close")
    assert_embedded(page)


def test_a_partner_frame_hears_the_bridge_through_post_message(phone_page, live_server):
    live_server.app.config["EMBED_PARENT_ORIGINS"] = live_server.url
    page = phone_page(js_enabled=True, locale="en", user_agent=WEBVIEW_UA)
    partner = f"{live_server.url}/__partner-frame"
    page.route(
        partner,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<!doctype html><title>partner</title><script>window.got = [];"
                "addEventListener('message', e => window.got.push({origin: e.origin, data: e.data}));"
                f"</script><iframe id=portal src='{handoff()}' width=360 height=600></iframe>"
            ),
        ),
    )
    page.goto(partner)
    frame = page.frame_locator("#portal")
    frame.locator(".embed-bar a.embed-close").click()
    page.wait_for_function("window.got.length > 0")
    got = page.evaluate("window.got")
    assert got[0]["origin"] == live_server.url
    assert got[0]["data"]["event"] == "close" and got[0]["data"]["source"] == "refund-center"


def test_news_in_a_polled_fragment_reaches_the_app(phone_page, live_server):
    from flask import render_template_string

    from portal.accounts.models import Customer
    from tests.factories import approve, open_case_for

    app = live_server.app

    @app.get("/__test/news")
    def news():
        return render_template_string('<div class="news">{% include "embed/_bridge_events.html" %}</div>')

    page, messages = app_page(phone_page)
    page.goto(handoff())
    page.wait_for_url("**/orders")
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.phone == DEMO_PHONE))
        case = open_case_for(customer.id, None, auto=None)
        approve(case)
        number = case.number
        db.session.remove()
    # What the progress page's polling does: htmx swaps in a fragment that carries the markers.
    page.evaluate("htmx.ajax('GET', '/__test/news', {target: 'main', swap: 'beforeend'})")
    decision = wait_for(messages, "decision_arrived", page)
    assert decision["payload"]["case"] == number and decision["payload"]["decision"] == "approved"
    assert wait_for(messages, "case_submitted", page)["payload"]["case"] == number
    assert page.url.endswith("/orders")


def test_embed_top_bar_is_accessible(phone_page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    page, _ = app_page(phone_page)
    page.goto(handoff())
    page.wait_for_url("**/orders")
    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == []
    box = page.locator(".embed-bar a.embed-close").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a thumb-sized target
