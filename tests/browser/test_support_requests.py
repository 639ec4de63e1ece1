"""The customer's two other ways to a person, in a real browser with JavaScript on and off: asking for
the green channel on 退款进度 (a senior grants it on the console) and filing a complaint (the desk answers
and closes it). Bad input is refused with a clear message and the typed text kept; axe finds nothing
serious where JavaScript runs."""

import pytest
from sqlalchemy import select

from portal.accounts.models import Customer
from portal.demo.builder import DEMO_PHONE
from portal.extensions import db
from tests.browser.conftest import sign_in_by_sms
from tests.browser.test_smoke import serious_violations
from tests.browser.test_staff import sign_in_staff
from tests.factories import open_case_for

pytestmark = pytest.mark.browser
JS = pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])


def _customer_with_a_case(phone_page, live_server, js_enabled: bool):
    """The demo customer signed in (English), with an open request that is not in the green channel."""
    page = phone_page(js_enabled=js_enabled, locale="en")
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    with live_server.app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))
        case = open_case_for(customer_id)
        case_id, number = case.id, case.number
        assert not case.green_channel
        db.session.remove()
    return page, case_id, number


@JS
@pytest.mark.config(PROGRESS_POLL_SECONDS=1)
def test_asking_for_the_green_channel_and_a_senior_granting_it(
    phone_page, desktop_page, live_server, js_enabled
):
    page, case_id, number = _customer_with_a_case(phone_page, live_server, js_enabled)
    page.goto(f"/cases/{case_id}?lang=en")
    page.get_by_role("link", name="Urgent? Ask for priority (green channel)").click()
    page.wait_for_url(f"**/support/cases/{case_id}/green-channel")
    if js_enabled:
        assert serious_violations(page) == []

    # Too short a reason: refused, said why, and what was typed stays.
    page.get_by_label("Why is it urgent?").fill("Now")
    page.get_by_role("button", name="Ask for priority").click()
    assert "why this is urgent" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Why is it urgent?").input_value() == "Now"

    page.get_by_label("Why is it urgent?").fill("I need the money for my rent this week.")
    page.get_by_role("button", name="Ask for priority").click()
    page.wait_for_url(f"**/cases/{case_id}")
    assert "Your request for priority was sent." in page.locator(".flash").inner_text()
    asked = page.locator("#green-channel").inner_text()
    assert "You asked for priority. A senior reviewer answers by" in asked
    if js_enabled:
        assert serious_violations(page) == []

    senior = desktop_page(locale="en")
    sign_in_staff(senior, "senior")
    senior.goto("/staff/support/green-channel?lang=en")
    request = senior.locator(".green-request", has_text=number)
    assert "I need the money for my rent this week." in request.inner_text()
    request.get_by_role("button", name="Grant priority").click()
    assert "The request for priority was answered." in senior.locator(".flash").inner_text()

    if js_enabled:  # the page follows by itself (the poll), without a reload
        page.evaluate("window.notReloaded = true")
        page.locator("#green-channel .badge", has_text="Green channel").wait_for(timeout=10_000)
        assert page.evaluate("window.notReloaded") is True
    else:
        page.get_by_role("link", name="Refresh").click()
    green = page.locator("#green-channel").inner_text()
    assert "Green channel" in green and "a senior reviewer granted it" in green
    assert page.get_by_role("link", name="Urgent? Ask for priority (green channel)").count() == 0


@JS
def test_filing_a_complaint_and_reading_the_answer(phone_page, desktop_page, live_server, js_enabled):
    page, case_id, number = _customer_with_a_case(phone_page, live_server, js_enabled)
    page.goto("/me?lang=en")
    page.get_by_role("link", name="Complaints and suggestions").click()
    page.wait_for_url("**/support/complaints")
    if js_enabled:
        assert serious_violations(page) == []

    # About a request, but no request chosen: refused with the reason, the text kept.
    complaint = "Nobody has looked at my request for days."
    page.get_by_label("A refund request").check()
    page.get_by_label("Your complaint or suggestion").fill(complaint)
    page.get_by_role("button", name="Send the complaint").click()
    assert "Please choose the refund request" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Your complaint or suggestion").input_value() == complaint
    assert page.get_by_label("A refund request").is_checked()

    page.get_by_label("Refund request (for a request or a decision)").select_option(label=number)
    page.get_by_role("button", name="Send the complaint").click()
    page.wait_for_url("**/support/complaints/*")
    flash = page.locator(".flash").inner_text()
    assert "Your complaint TS" in flash and "was received." in flash
    assert complaint in page.locator(".support-body").inner_text()
    assert "(Beijing time)" in page.locator(".complaint-due").inner_text()
    assert page.get_by_role("link", name=number).count() == 1  # the request it is about
    if js_enabled:
        assert serious_violations(page) == []
    complaint_url = page.url

    desk = desktop_page(locale="en")
    sign_in_staff(desk, "reviewer")
    desk.goto("/staff/support/complaints?lang=en")
    desk.get_by_role("link", name=flash.split()[2]).click()  # the complaint's number
    desk.get_by_role("button", name="Answer and close").click()  # no answer yet: refused
    assert desk.get_by_role("alert").count() == 1
    desk.get_by_label("Answer to the customer (required to close)").fill(
        "We are sorry: your request was reviewed today."
    )
    desk.get_by_role("button", name="Answer and close").click()
    assert "The complaint was answered and closed." in desk.locator(".flash").inner_text()

    page.goto(complaint_url)
    assert "We are sorry: your request was reviewed today." in page.locator(".complaint-answer").inner_text()
    page.goto("/messages?lang=en")  # 站内信 keep the customer's own language (the demo customer's Chinese)
    assert "投诉已答复" in page.locator("main").inner_text()
