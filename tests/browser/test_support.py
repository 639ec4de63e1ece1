"""联系客服 in a real browser: without JavaScript every step is a plain form or link; with it the thread
follows new answers by itself (304 while nothing changed). The desk answers with the case's basis. And axe
finds no serious problem on the customer's and the desk's pages."""

import pytest
from sqlalchemy import select

from portal.accounts.models import Customer, StaffUser
from portal.clock import utcnow
from portal.demo.builder import DEMO_PHONE
from portal.extensions import db
from portal.support import services
from portal.support.models import Conversation
from tests.browser.conftest import sign_in_by_sms
from tests.browser.test_smoke import serious_violations
from tests.browser.test_staff import png, sign_in_staff
from tests.factories import open_case_for

pytestmark = pytest.mark.browser


def _answer(live_server, text: str) -> None:
    """A reviewer answers the newest conversation (as the desk would)."""
    with live_server.app.app_context():
        conversation = db.session.scalar(select(Conversation).order_by(Conversation.id.desc()))
        reviewer = db.session.scalar(select(StaffUser).where(StaffUser.username == "reviewer"))
        services.add_staff_reply(conversation, reviewer, text, utcnow())
        db.session.commit()
        db.session.remove()


def test_without_javascript_a_customer_writes_with_a_photo_and_reads_the_answer(
    phone_page, live_server, tmp_path
):
    page = phone_page(js_enabled=False, locale="en")
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    page.goto("/orders?lang=en")  # the demo customer reads Chinese; this session asks for English
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Me", exact=True).click()
    page.get_by_role("link", name="Contact us").click()
    page.get_by_text("How long does a refund take?").click()
    assert page.get_by_text("working days").first.is_visible()

    # A file that only pretends to be a photo: refused, and the text typed stays in the box.
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really" * 50)
    page.get_by_label("Your message").fill("My top-up did not arrive.")
    page.get_by_label("Add a photo").set_input_files(str(fake))
    page.get_by_role("button", name="Send").click()
    assert "please choose the photo again" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Your message").input_value() == "My top-up did not arrive."

    real = tmp_path / "real.png"
    real.write_bytes(png())
    page.get_by_label("Add a photo").set_input_files(str(real))
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/support/*")
    assert "My top-up did not arrive." in page.locator(".support-messages").inner_text()
    assert page.locator(".support-photo").count() == 1
    assert "We answer by" in page.locator(".support-due").inner_text()

    _answer(live_server, "We found it: it arrives today.")
    page.get_by_role("link", name="Check for new answers").click()
    assert page.locator(".support-message.from-staff").inner_text().endswith("We found it: it arrives today.")
    assert page.locator(".support-due").count() == 0


@pytest.mark.config(PROGRESS_POLL_SECONDS=1)
def test_with_javascript_the_thread_follows_answers_without_reloading(phone_page, live_server):
    page = phone_page(js_enabled=True, locale="en")
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    with live_server.app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))
        case_id = open_case_for(customer_id).id
        db.session.remove()
    page.goto(f"/cases/{case_id}?lang=en")
    page.get_by_role("link", name="Questions about this request? Contact customer service").click()
    assert serious_violations(page) == []  # axe needs JavaScript: the customer's pages are checked here
    page.get_by_label("Your message").fill("Can this go faster?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/support/*")
    assert serious_violations(page) == []
    page.evaluate("window.notReloaded = true")
    responses = []
    page.on("response", lambda r: responses.append(r.status) if "/support/" in r.url else None)
    page.wait_for_timeout(2500)
    assert 304 in responses  # unchanged polls cost a 304

    _answer(live_server, "It is in review now.")
    page.locator(".support-message.from-staff", has_text="It is in review now.").wait_for(timeout=10_000)
    assert page.evaluate("window.notReloaded") is True


def test_the_desk_answers_with_the_case_s_basis(desktop_page, live_server):
    with live_server.app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))
        case_id = open_case_for(customer_id).id
        conversation = services.open_conversation(customer_id, None, case_id, utcnow())
        services.add_customer_message(conversation, "Why is it taking so long?", None, None, utcnow())
        db.session.commit()
        number = conversation.number
        db.session.remove()
    page = desktop_page(locale="en")
    sign_in_staff(page, "reviewer")
    page.goto("/staff/support?lang=en")
    assert serious_violations(page) == []
    page.get_by_role("link", name=number).click()
    page.get_by_role("link", name="Answer with the basis").click()
    assert "适用规则：" in page.get_by_label("Answer").input_value()  # in the customer's language
    assert serious_violations(page) == []
    page.get_by_role("button", name="Send the answer").click()
    assert "Your answer was sent." in page.locator(".flash").inner_text()
    assert page.locator(".support-message.from-staff").count() == 1
