"""A reviewer opens the queue and an overdue green-channel case and asks for more evidence; the customer
sees the request on the progress page and uploads; the reviewer approves partially; the customer sees
the amount. And axe finds no serious problem on the staff pages."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from portal.cases.models import RefundCase
from portal.clock import utcnow
from portal.extensions import db
from portal.policy.kinds import RefundType
from tests.browser.conftest import save_screenshot, sign_in_by_sms
from tests.browser.test_smoke import serious_violations

pytestmark = pytest.mark.browser

ITEM = "topup_failure_screenshot"
MESSAGE = "Please send a screenshot that shows the order number."


def png(size=(320, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, "PNG")
    return out.getvalue()


def overdue_green_case(live_server) -> tuple[int, str]:
    """The demo customer's unused game card, marked urgent (green channel), past its review deadline."""
    from tests.factories import open_case, situation_order

    with live_server.app.app_context():
        case = open_case(situation_order("game_card_unused"), RefundType.NOT_RECEIVED, urgent=True)
        assert case.green_channel and not case.auto_approvable
        case.review_due_at = case.step_due_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        result = case.id, case.number
        db.session.remove()
    return result


def sign_in_staff(page, username: str) -> None:
    page.goto("/staff/login?lang=en")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(f"{username}-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")


def test_more_evidence_then_partial_approval(desktop_page, phone_page, live_server):
    # The customer signs in first: sign_in_by_sms reads the latest SMS, and case notices are SMS too.
    customer = phone_page()
    sign_in_by_sms(customer, live_server)
    customer.wait_for_url("**/orders")
    case_id, number = overdue_green_case(live_server)

    # The reviewer finds the case at the top of the queue, green and overdue.
    reviewer = desktop_page(locale="en")
    sign_in_staff(reviewer, "reviewer")
    row = reviewer.locator("table.queue tbody tr").first
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("Green channel")
    expect(row).to_contain_text("Overdue")
    row.get_by_role("link", name=number).click()
    reviewer.wait_for_url(f"**/staff/cases/{case_id}")
    expect(reviewer.locator(".case-badges")).to_contain_text("Overdue")
    save_screenshot(reviewer, "staff-review")

    # Ask for more evidence, and confirm.
    reviewer.locator("details.decision-request_evidence > summary").click()
    reviewer.locator(f"input[name=request_evidence-items][value={ITEM}]").check()
    reviewer.locator("textarea[name=request_evidence-message]").fill(MESSAGE)
    reviewer.get_by_role("button", name="Request evidence…").click()
    expect(reviewer.locator(".confirm-panel")).to_contain_text("Ask the customer of case")
    reviewer.get_by_role("button", name="Confirm").click()
    expect(reviewer.locator(".case-state")).to_have_text("More evidence requested")

    # The customer sees the request on the progress page and uploads a screenshot.
    customer.goto(f"/cases/{case_id}?lang=en")
    expect(customer.locator("#add-evidence")).to_contain_text(MESSAGE)
    customer.locator("#evidence-item").select_option(ITEM)
    customer.locator("#evidence-file").set_input_files(
        files=[{"name": "order.png", "mimeType": "image/png", "buffer": png()}]
    )
    # uploads.js sends it at once, with its percentage, and the page comes back with the file counted: only
    # files added since the request answer it (the one sent with the request does not).
    expect(customer.locator(".requested-items")).to_contain_text("1 file")
    customer.get_by_role("button", name="Send the evidence to the reviewer").click()
    expect(customer.locator("#add-evidence")).to_have_count(0)

    # The reviewer sees the new file and approves part of the amount.
    reviewer.reload()
    expect(reviewer.locator(".case-state")).to_have_text("Evidence received")
    expect(reviewer.locator(".evidence-item")).to_have_count(2)
    reviewer.locator("details.decision-approve > summary").click()
    reviewer.locator("input[name=approve-mode][value=partial]").check()
    reviewer.locator("input[name=approve-amount]").fill("50.00")
    reviewer.get_by_role("button", name="Approve…").click()
    expect(reviewer.locator(".confirm-panel")).to_contain_text("Approve a refund of ¥50.00")
    reviewer.get_by_role("button", name="Confirm").click()
    expect(reviewer.locator(".approved-amount")).to_have_text("¥50.00")

    # The customer sees the amount (the page refreshes itself; a reload is the no-JavaScript path).
    customer.reload()
    expect(customer.locator(".case-summary .amount")).to_have_text("¥50.00")
    expect(customer.locator(".case-decision")).to_contain_text(re.compile("Partly approved"))
    with live_server.app.app_context():
        assert db.session.get(RefundCase, case_id).approved_fen == 5000
        db.session.remove()


def test_staff_pages_have_no_serious_accessibility_problems(desktop_page, live_server):
    case_id, _number = overdue_green_case(live_server)
    page = desktop_page(locale="en")
    sign_in_staff(page, "senior")
    assert serious_violations(page) == []
    page.goto(f"/staff/cases/{case_id}")
    for summary in page.locator("details.decision > summary").all():
        summary.click()
    assert serious_violations(page) == []
