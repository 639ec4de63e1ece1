"""Smoke: a customer signs in with the one-time code and sees 我的订单, with JavaScript on and off; axe finds
no serious or critical problem on the sign-in page and the order list."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_by_sms

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])
def test_customer_signs_in_and_sees_orders(phone_page, live_server, js_enabled):
    page = phone_page(js_enabled=js_enabled)
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    assert page.locator("h1").inner_text() == "我的订单"
    assert page.locator(".order-list li").count() > 0


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_accessibility_of_sign_in_and_orders(phone_page, live_server):
    page = phone_page()
    page.goto("/login")
    assert serious_violations(page) == []
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    assert serious_violations(page) == []


def test_send_code_counts_down_60_seconds_with_javascript(phone_page, live_server):
    page = phone_page()
    page.goto("/login")
    assert page.locator("a", has_text="员工登录").count() == 0  # no staff link for customers
    page.locator("input[name=phone]").fill("13800138000")
    page.locator("button[name=action][value=send]").click()
    send = page.locator("button[name=action][value=send]")
    expect(send).to_have_text(re.compile(r"^(60|59|58) 秒后重新获取$"))
    expect(send).to_be_disabled()
