"""Every customer page (and sign-in) on a phone, with real data: nothing wider than the screen at 320, 360
and 414 px in zh_CN and en, JavaScript on and off; every link and button a thumb-sized target (at least
44 × 44 px); axe finds nothing serious or critical. With SCREENSHOTS set to a folder, the walk also saves
what it saw there (scripts/screenshots)."""

import os

import pytest
from sqlalchemy import select

from portal.accounts.models import Customer
from portal.cases.states import CaseState
from portal.demo.builder import DEMO_PHONE
from portal.extensions import db
from portal.orders.models import Order
from tests.browser.conftest import save_screenshot, sign_in_by_sms
from tests.browser.test_smoke import serious_violations
from tests.factories import (
    advance,
    appeal_partial,
    new_order,
    open_case,
    open_case_for,
    partly_approve,
)

pytestmark = pytest.mark.browser
WIDTHS = (320, 360, 414)
LANGS = ("zh_CN", "en")
SHOTS = os.environ.get("SCREENSHOTS")
EVERY_SHOT = bool(os.environ.get("SCREENSHOTS_EVERY"))  # every width, language and JS setting (for checking)
S = CaseState

# What scrolls sideways, for the failure message: elements whose right edge passes the screen's.
WIDE_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || '');
  return [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 0.5 && getComputedStyle(el).position !== 'fixed';
  }).slice(0, 5).map(el => name(el) + ' → ' + Math.round(el.getBoundingClientRect().right));
}"""
# Links and buttons smaller than 44 × 44 px (the skip link waits off screen until focused); a checkbox or
# radio counts with its label row.
SMALL_TARGETS = """() => {
  const controls = 'a[href], button, summary, input[type=checkbox], input[type=radio]';
  const text = el => (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30);
  return [...document.querySelectorAll(controls)]
    .filter(el => !el.closest('.skip-link, [hidden]') && el.getClientRects().length)
    .map(el => {
      const target = el.matches('input') ? (el.closest('label, .choice, .field') || el) : el;
      const box = target.getBoundingClientRect();
      const label = el.tagName.toLowerCase() + ' "' + text(el) + '"';
      return [label, Math.round(box.width), Math.round(box.height)];
    })
    .filter(([, w, h]) => w > 0 && (w < 44 || h < 44));
}"""


def customer_pages(live_server, page) -> dict[str, str]:
    """Sign in, give the customer a case waiting for evidence and a wizard draft; the pages to walk."""
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    with live_server.app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))
        case_id = open_case_for(customer_id).id
        request = "请补充充值记录截图，需显示订单号 ZS2026120100000001 与金额。"
        advance(
            case_id,
            S.EVIDENCE_RECEIVED,
            S.UNDER_REVIEW,
            S.MORE_EVIDENCE,
            evidence_request=request,
            requested_items=["other"],
        )
        mine = select(Order).where(Order.customer_id == customer_id).order_by(Order.id)
        orders = db.session.scalars(mine).all()
        qcoin = next(o.id for o in orders if "Q币" in o.product_title and not o.refunded_fen)
        refunded = next(o.id for o in orders if o.refunded_fen and o.refunded_fen >= o.amount_fen)
        # Partly approved: one that may be appealed for the rest, one whose appeal is being answered.
        partial = open_case(new_order(customer_id))
        partly_approve(partial, 3000)
        appealed = open_case(new_order(customer_id))
        partly_approve(appealed, 3000)
        appeal = appeal_partial(appealed)
        partial_id, appealed_id, appeal_id = partial.id, appealed.id, appeal.id
        db.session.remove()
    # A draft, made the way a customer makes it: type, then reason.
    page.goto(f"/orders/{qcoin}/refund")
    page.locator("label[for=type-not_received]").click()
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/refund/reason")
    page.locator("#reason").fill("充值后游戏里没有到账。The top-up never arrived in the game account.")
    page.locator("#wizard-form button[type=submit]").click()
    page.wait_for_url("**/refund/evidence")
    return {
        "orders": "/orders",
        "order": f"/orders/{qcoin}",
        "order-refunded": f"/orders/{refunded}",
        "wizard-type": f"/orders/{qcoin}/refund",
        "wizard-reason": f"/orders/{qcoin}/refund/reason",
        "wizard-evidence": f"/orders/{qcoin}/refund/evidence",
        "wizard-review": f"/orders/{qcoin}/refund/review",
        "records": "/refunds",
        "progress": f"/cases/{case_id}",
        "progress-partly-approved": f"/cases/{partial_id}",
        "progress-appealed-in-part": f"/cases/{appealed_id}",
        "progress-appeal": f"/cases/{appeal_id}",
        "messages": "/messages",
        "settings": "/messages/settings",
        "me": "/me",
        "not-found": "/no-such-page",  # an address no route knows: the one 404 page for everyone
    }


@pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])
def test_every_customer_page_fits_the_phone_and_has_thumb_sized_targets(phone_page, live_server, js_enabled):
    signed_out = phone_page(js_enabled=js_enabled)
    page = phone_page(js_enabled=True)
    pages = customer_pages(live_server, page)
    if not js_enabled:  # the same session, in a context without JavaScript
        cookies = page.context.cookies()
        page = phone_page(js_enabled=False)
        page.context.add_cookies(cookies)
    too_wide, too_small, axe = [], [], []
    for lang in LANGS:
        check(signed_out, "sign-in", "/login", lang, js_enabled, too_wide, too_small)
        for name, path in pages.items():
            check(page, name, path, lang, js_enabled, too_wide, too_small)
            if js_enabled:  # axe runs as a script in the page
                axe += [(lang, name, found) for found in serious_violations(page)]
    assert not too_wide, "\n".join(map(str, too_wide))
    assert not too_small, "\n".join(map(str, too_small))
    assert not axe, "\n".join(map(str, axe))


def check(page, name: str, path: str, lang: str, js_enabled: bool, too_wide: list, too_small: list) -> None:
    """One page in one language: its small targets at 360 px, its width at every phone width."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    assert name == "sign-in" or "/login" not in page.url, name
    too_small += [(lang, name, *target) for target in page.evaluate(SMALL_TARGETS)]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 740})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            too_wide.append((lang, name, width, scroll, page.evaluate(WIDE_ELEMENTS)))
        if SHOTS and (EVERY_SHOT or (width, lang, js_enabled) == (360, "zh_CN", True)):
            suffix = f"-{lang}-{width}{'' if js_enabled else '-nojs'}" if EVERY_SHOT else ""
            save_screenshot(page, f"{name}{suffix}")
