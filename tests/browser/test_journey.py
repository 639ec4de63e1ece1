"""The customer journey on a phone, in Chinese and English, with JavaScript on and off: find a game-card order
by product name, watch the policy hint change between types, upload a screenshot, submit, land on the case.
A credited phone top-up says why it cannot be refunded and offers no 申请退款."""

import re

import pytest

from tests.browser.conftest import sign_in_by_sms
from tests.samples import jpeg

pytestmark = pytest.mark.browser

LANGUAGES = {
    # locale: (lang parameter, product-name search, not-received hint, invalid hint)
    "zh-CN": ("zh_CN", "Q币", "游戏内充值失败的截图", "兑换点卡时的错误提示截图"),
    "en": ("en", "Q-coin", "Screenshot of the in-game top-up failure", "Screenshot of the redemption error"),
}
ITEM = "topup_failure_screenshot"


def search(page, text: str, js_enabled: bool) -> None:
    page.locator("#q").fill(text)
    if js_enabled:
        # htmx searches as the customer types and keeps the query in the address.
        page.wait_for_url(re.compile(r"[?&]q="))
    else:
        page.locator("#q").press("Enter")
        page.wait_for_url(re.compile(r"[?&]q="))


def choose_type(page, refund_type: str, js_enabled: bool, hint: str) -> None:
    page.locator(f"label[for=type-{refund_type}]").click()
    if not js_enabled:
        page.locator("button[name=action][value=show_policy]").click()
    page.locator("#policy-hint .checklist-preview").get_by_text(hint).wait_for()


@pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_find_order_apply_upload_submit(phone_page, live_server, locale, js_enabled):
    lang, query, not_received_hint, invalid_hint = LANGUAGES[locale]
    page = phone_page(js_enabled=js_enabled, locale=locale)
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    page.goto(f"/orders?lang={lang}")

    search(page, query, js_enabled)
    first = page.locator(".order-list li").first
    first.locator(".refund-badge.ok").wait_for()
    assert "Q币" in first.inner_text()
    first.locator("a.row").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    page.locator("#refund a[href$='/refund']").click()

    # Step 1: the policy shown inline follows the chosen type.
    choose_type(page, "invalid", js_enabled, invalid_hint)
    assert not_received_hint not in page.locator("#policy-hint").inner_text()
    choose_type(page, "not_received", js_enabled, not_received_hint)
    assert invalid_hint not in page.locator("#policy-hint").inner_text()
    page.locator("button[name=action][value=continue]").click()

    # Step 2: the reason; the suggested amount is already filled in.
    page.wait_for_url("**/refund/reason")
    assert page.locator("#amount").input_value() == "100.00"
    page.locator("#reason").fill("充值后游戏里没有到账 / the top-up never arrived")
    page.locator("#wizard-form button[type=submit]").click()

    # Step 3: a screenshot for the checklist item, from the gallery button.
    page.wait_for_url("**/refund/evidence")
    item = page.locator(f"#item-{ITEM}")
    assert item.locator("input[capture=environment]").count() == 1
    item.locator("input[type=file][multiple]").set_input_files(
        files=[{"name": "screenshot.jpg", "mimeType": "image/jpeg", "buffer": jpeg((360, 640))}]
    )
    if not js_enabled:
        item.locator("form.evidence-upload button[type=submit]").click()
    page.locator(f"#item-{ITEM}-body img").wait_for()
    assert page.locator(f"#item-{ITEM}-body .tick").count() == 1
    page.locator(".actionbar a.primary").click()

    # Step 4: review and submit; the customer lands on the case's page.
    page.wait_for_url("**/refund/review")
    page.locator("#wizard-form form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    if "cases.progress" in live_server.app.view_functions:  # the lifecycle feature's page
        assert page.locator(".error-code").count() == 0


@pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_credited_top_up_says_why_not(phone_page, live_server, locale, js_enabled):
    lang = LANGUAGES[locale][0]
    page = phone_page(js_enabled=js_enabled, locale=locale)
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    page.goto(f"/orders?lang={lang}")
    search(page, "中国移动", js_enabled)
    first = page.locator(".order-list li").first
    first.locator(".refund-badge.warn").wait_for()
    first.locator("a.row").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    refund = page.locator("#refund")
    assert refund.locator(".verdict.bad").is_visible()
    assert refund.locator("a[href$='/refund']").count() == 0
    apply_label = "Apply for refund" if lang == "en" else "申请退款"
    assert page.locator("a, button").filter(has_text=apply_label).count() == 0
    assert ("The top-up has been credited" if lang == "en" else "已到账") in refund.inner_text()


def test_wizard_pages_have_no_serious_accessibility_problems(phone_page, live_server):
    from tests.browser.test_smoke import serious_violations

    page = phone_page()
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    assert serious_violations(page) == []
    page.locator(".order-list li a.row").first.click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    assert serious_violations(page) == []
    page.goto("/orders/1/refund")
    choose_type(page, "not_received", True, LANGUAGES["zh-CN"][2])
    assert serious_violations(page) == []
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/refund/reason")
    page.locator("#reason").fill("没有到账")
    page.locator("#wizard-form button[type=submit]").click()
    page.wait_for_url("**/refund/evidence")
    page.locator(f"#item-{ITEM} input[type=file][multiple]").set_input_files(
        files=[{"name": "screenshot.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.locator(f"#item-{ITEM}-body img").wait_for()
    assert serious_violations(page) == []
