"""A policy editor changes the game-card hint and previews it on phones in both languages while customers
still see the old text; once published the refund page shows it; a rollback restores the old one."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.orders.kinds import Category, DeliveryStatus
from portal.orders.models import Order
from tests.browser.conftest import sign_in_by_sms

pytestmark = pytest.mark.browser

OLD_ZH = "点卡未激活使用，因平台系统故障或库存错误导致商品未到账"
NEW_ZH = "新版点卡提示：平台故障导致未到账的点卡全额退款"
NEW_EN = "New game-card hint: cards lost to a platform fault are refunded in full"


def _game_card_order(live_server) -> int:
    with live_server.app.app_context():
        order_id = db.session.scalar(
            select(Order.id)
            .where(Order.category == Category.GAME_CARD, Order.delivery_status == DeliveryStatus.SYSTEM_FAULT)
            .order_by(Order.id)
        )
        db.session.remove()
    return order_id


def _sign_in_editor(page) -> None:
    page.goto("/staff/login?lang=en")
    page.locator("input[name=username]").fill("editor")
    page.locator("input[name=password]").fill("editor-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/**")


def test_edit_preview_publish_and_roll_back_the_game_card_hint(desktop_page, phone_page, live_server):
    customer = phone_page()
    sign_in_by_sms(customer, live_server)
    customer.wait_for_url("**/orders")
    refund_page = f"/orders/{_game_card_order(live_server)}/refund?refund_type=not_received"
    customer.goto(refund_page)
    expect(customer.locator(".policy-text")).to_contain_text(OLD_ZH)

    editor = desktop_page(locale="en")
    _sign_in_editor(editor)
    editor.goto("/staff/policy/")
    editor.get_by_role("button", name="Start a draft").click()
    editor.get_by_role("link", name="Edit Game card · Item not received").click()
    editor.locator("textarea[name=hint_zh_CN]").fill(f"**{NEW_ZH}**")
    editor.locator("textarea[name=hint_en]").fill(f"**{NEW_EN}**")

    # The live preview (autosaved draft, reloaded frames) shows both languages on 360 px phones.
    expect(editor.locator(".pe-save-status")).to_contain_text("Saved")
    zh_frame = editor.frame_locator("iframe[name=preview-zh_CN]")
    en_frame = editor.frame_locator("iframe[name=preview-en]")
    expect(zh_frame.locator(".policy-text strong")).to_have_text(NEW_ZH)
    expect(en_frame.locator(".policy-text strong")).to_have_text(NEW_EN)
    assert editor.locator("iframe[name=preview-en]").evaluate("f => f.contentWindow.innerWidth") == 360

    # Customers still read the published text.
    customer.reload()
    expect(customer.locator(".policy-text")).to_contain_text(OLD_ZH)
    expect(customer.locator(".policy-text")).not_to_contain_text(NEW_ZH)

    editor.get_by_role("link", name="Compare and publish").click()
    expect(editor.locator(".pe-side ins").first).to_be_visible()
    editor.locator("textarea[name=note]").fill("Clearer game-card hint")
    editor.get_by_role("button", name="Publish version").click()
    editor.wait_for_url("**/staff/policy/history")
    expect(editor.locator(".pe-history")).to_contain_text("Clearer game-card hint")

    customer.reload()
    expect(customer.locator(".policy-text")).to_contain_text(NEW_ZH)

    editor.get_by_role("button", name="Restore version 1").click()
    editor.wait_for_url("**/staff/policy/history")
    expect(editor.locator(".flash")).to_contain_text("is back in force")

    customer.reload()
    expect(customer.locator(".policy-text")).to_contain_text(OLD_ZH)
    expect(customer.locator(".policy-text")).not_to_contain_text(NEW_ZH)


def test_policy_editor_pages_have_no_serious_accessibility_problems(desktop_page, live_server):
    from tests.browser.test_smoke import serious_violations

    editor = desktop_page(locale="en")
    _sign_in_editor(editor)
    editor.goto("/staff/policy/")
    editor.get_by_role("button", name="Start a draft").click()
    version_url = editor.url
    assert serious_violations(editor) == []
    editor.get_by_role("link", name="Edit Game item · Item invalid").click()
    assert serious_violations(editor) == []
    editor.locator("input[name=percent_used]").fill("40")
    expect(editor.locator(".pe-save-status")).to_contain_text("Saved")
    editor.goto(version_url + "/diff")
    assert serious_violations(editor) == []
    editor.goto(version_url + "/diff?view=unified")
    assert serious_violations(editor) == []
    editor.goto(version_url + "/general")
    assert serious_violations(editor) == []
    editor.goto("/staff/policy/history")
    assert serious_violations(editor) == []
