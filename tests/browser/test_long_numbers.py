"""Long numbers on a 320 px phone (issue 13): the order number, the refund number and the payout's request
number break between groups of characters instead of widening the page; each stays one piece of selectable
text; with JavaScript a 复制 button beside it copies it and says so (in its status), without JavaScript
there is no button that would do nothing."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import Customer
from portal.demo.builder import DEMO_PHONE
from portal.extensions import db
from portal.payouts.models import Payout
from tests.browser.conftest import sign_in_by_sms
from tests.factories import approve, open_case_for

pytestmark = pytest.mark.browser
NARROW = {"width": 320, "height": 640}

SELECT_NUMBER = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return selection.toString();
}"""


def _approved_case(live_server) -> tuple[int, str, int, str, str]:
    """An approved request of the demo customer: (case id, its number, order id, order number, payout no)."""
    with live_server.app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))
        case = open_case_for(customer_id)
        approve(case)
        payout = db.session.scalar(select(Payout).where(Payout.case_id == case.id))
        found = case.id, case.number, case.order_id, case.order.number, payout.request_no
        db.session.remove()
    return found


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]


@pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_long_numbers_fit_320_px_stay_selectable_and_copy_with_javascript(
    phone_page, live_server, js_enabled, lang
):
    page = phone_page(js_enabled=js_enabled, locale="en" if lang == "en" else "zh-CN")
    page.set_viewport_size(NARROW)
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    case_id, case_number, order_id, order_number, request_no = _approved_case(live_server)
    if js_enabled:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    page.goto(f"/orders/{order_id}?lang={lang}")
    _fits(page)
    box = page.locator(".long-number").filter(has=page.locator(f'[data-copy="{order_number}"]'))
    assert box.locator(".number-text").inner_text() == order_number  # the break points add nothing
    assert box.locator(".number-text").evaluate(SELECT_NUMBER) == order_number

    page.goto(f"/cases/{case_id}?lang={lang}")
    _fits(page)
    for number in (case_number, request_no):
        box = page.locator(".long-number").filter(has=page.locator(f'[data-copy="{number}"]'))
        assert box.locator(".number-text").evaluate(SELECT_NUMBER) == number
        button = box.locator(".copy-button")
        if not js_enabled:
            assert not button.is_visible()
            continue
        size = button.bounding_box()
        assert size["width"] >= 44 and size["height"] >= 44
        copy, copied = ("Copy", "Copied") if lang == "en" else ("复制", "已复制")
        assert button.inner_text() == copy and button.get_attribute("aria-label").startswith(copy)
        button.click()
        expect(box.locator(".copy-status[role=status]")).to_have_text(copied)  # said to screen readers
        expect(button).to_have_text(copied)
        assert page.evaluate("navigator.clipboard.readText()") == number
