"""退款进度 in a real browser: without JavaScript the refresh link and the forms do everything; with it the
page follows the case by itself and stops polling once the case is final."""

import pytest
from sqlalchemy import select

from portal.accounts.models import Customer
from portal.cases.states import Actor, CaseState
from portal.demo.builder import DEMO_PHONE
from portal.extensions import db
from tests.browser.conftest import sign_in_by_sms
from tests.browser.test_smoke import serious_violations
from tests.factories import advance, open_case_for

pytestmark = pytest.mark.browser
S = CaseState


def _case(live_server) -> int:
    with live_server.app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))
        case_id = open_case_for(customer_id).id
        db.session.remove()
    return case_id


def _advance(live_server, case_id: int, *targets, **kwargs) -> None:
    with live_server.app.app_context():
        advance(case_id, *targets, **kwargs)
        db.session.remove()


def test_without_javascript_refresh_link_and_withdraw_work(phone_page, live_server):
    page = phone_page(js_enabled=False)
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    case_id = _case(live_server)  # after signing in: the sign-in helper reads the newest SMS
    page.goto(f"/cases/{case_id}?lang=en")
    assert page.locator(".case-state").inner_text() == "Submitted"
    assert page.locator(".timeline .node").count() == 6
    _advance(live_server, case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)
    assert page.locator(".case-state").inner_text() == "Submitted"  # nothing moves by itself
    page.get_by_role("link", name="Refresh").click()
    assert page.locator(".case-state").inner_text() == "Responsibility review"

    page.locator(".case-withdraw summary").click()
    page.get_by_role("button", name="Yes, withdraw it").click()
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator(".case-state").inner_text() == "Withdrawn"
    assert "Your refund request was withdrawn." in page.locator(".flash").inner_text()
    page.locator(".titlebar-back").click()  # the progress page's parent: 退款记录
    page.wait_for_url("**/refunds")
    assert page.locator(".record-state").first.inner_text() == "Withdrawn"


@pytest.mark.config(PROGRESS_POLL_SECONDS=1)
def test_with_javascript_the_page_follows_the_case_and_stops_when_final(phone_page, live_server):
    page = phone_page(js_enabled=True)
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    case_id = _case(live_server)  # after signing in: the sign-in helper reads the newest SMS
    page.goto(f"/cases/{case_id}?lang=en")
    page.evaluate("window.notReloaded = true")
    responses = []
    page.on("response", lambda r: responses.append(r.status) if f"/cases/{case_id}" in r.url else None)
    page.wait_for_timeout(2500)
    assert 304 in responses  # unchanged polls cost a 304
    assert page.locator(".case-state").inner_text() == "Submitted"

    _advance(live_server, case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)
    page.locator(".case-state", has_text="Responsibility review").wait_for(timeout=10_000)
    assert page.evaluate("window.notReloaded") is True  # updated in place, not reloaded

    _advance(live_server, case_id, S.WITHDRAWN, actor=Actor.CUSTOMER)
    page.locator(".case-state", has_text="Withdrawn").wait_for(timeout=10_000)
    assert page.locator("#case-live").get_attribute("hx-trigger") is None
    polls = len(responses)
    page.wait_for_timeout(2500)
    assert len(responses) == polls  # polling stopped


def test_progress_records_and_inbox_have_no_serious_accessibility_problem(phone_page, live_server):
    page = phone_page()
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    case_id = _case(live_server)
    _advance(
        live_server,
        case_id,
        S.EVIDENCE_RECEIVED,
        S.UNDER_REVIEW,
        S.REJECTED,
        decision_reason_code="item_used",
    )
    for path in (f"/cases/{case_id}", "/refunds", "/messages"):
        page.goto(path)
        assert serious_violations(page) == [], path
