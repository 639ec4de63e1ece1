"""联系客服 for customers: starting a conversation, writing, photos, polling, unread counts, privacy."""

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts.models import Customer
from portal.demo.builder import DEMO_PHONE
from portal.extensions import db as _db
from portal.notifications.models import InboxMessage
from portal.orders.models import Order
from portal.outbox import OutboxItem
from portal.support.models import Conversation, SupportMessage
from portal.support.services import MESSAGE_MAX
from tests.factories import find_order, open_case_for
from tests.support.conftest import png_bytes


def _start(client, body="", photo=None, **context):
    data = {"body": body}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "photo.png")
    query = "&".join(f"{k}={v}" for k, v in context.items())
    return client.post(f"/support?lang=en&{query}", data=data, content_type="multipart/form-data")


def _conversation() -> Conversation:
    return _db.session.scalar(select(Conversation).order_by(Conversation.id.desc()))


def _reply(staff_client, conversation_id, text="We are looking at it."):
    return staff_client.post(f"/staff/support/{conversation_id}/reply", data={"body": text})


def test_support_page_answers_common_questions_from_the_policy_first(alice):
    page = alice.get("/support?lang=en").get_data(as_text=True)
    assert "Which refund type fits my order?" in page
    assert "Top-ups cannot be refunded once credited" in page  # the published category summary
    assert page.index("Common questions") < page.index("Write to a person")
    assert "answers within 24 hours" in page


def test_a_general_question_opens_a_conversation_with_the_24_hour_deadline(alice, world):
    response = _start(alice, "Which type do I choose for a wrong top-up number?")
    assert response.status_code == 303
    conversation = _conversation()
    assert (
        conversation.customer_id == world.customer_id
        and conversation.order_id is None
        and conversation.case_id is None
    )
    assert conversation.due_at - conversation.waiting_since == timedelta(hours=24)
    page = alice.get(response.headers["Location"]).get_data(as_text=True)
    assert "Which type do I choose for a wrong top-up number?" in page
    assert "We answer by" in page


def test_a_conversation_is_tied_to_the_order_or_case_it_was_opened_from(alice, world):
    order = _db.session.scalar(select(Order).where(Order.customer_id == world.customer_id).order_by(Order.id))
    _start(alice, "About this order", order=order.id)
    assert _conversation().order_id == order.id
    # Coming back from the same order continues the same conversation.
    again = alice.get(f"/support?order={order.id}")
    assert again.status_code == 303 and f"/support/{_conversation().id}" in again.headers["Location"]
    case_id = open_case_for(world.customer_id).id
    _start(alice, "About my request", case=case_id)
    conversation = _conversation()
    assert conversation.case_id == case_id and conversation.order_id is not None


def test_every_customer_page_links_to_customer_service(alice, world):
    order = _db.session.scalar(select(Order).where(Order.customer_id == world.customer_id).order_by(Order.id))
    case_id = open_case_for(world.customer_id).id
    assert "/support" in alice.get("/me?lang=en").get_data(as_text=True)  # 我的, a tab of every root page
    assert f"/support?order={order.id}" in alice.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/support?case={case_id}" in alice.get(f"/cases/{case_id}").get_data(as_text=True)


def test_the_wizard_steps_link_to_customer_service(alice, world):
    order, _kind = find_order(world.customer_id, None)
    page = alice.get(f"/orders/{order.id}/refund")
    assert page.status_code == 200
    assert f"/support?order={order.id}" in page.get_data(as_text=True)


def test_empty_and_over_long_messages_are_refused_and_nothing_typed_is_lost(alice):
    empty = _start(alice, "   ")
    assert empty.status_code == 422
    assert "Please write a message or add a photo." in empty.get_data(as_text=True)
    long_text = "退" * (MESSAGE_MAX + 1)
    too_long = _start(alice, long_text)
    assert too_long.status_code == 422
    body = too_long.get_data(as_text=True)
    assert f"Please keep a message to {MESSAGE_MAX} characters" in body
    assert long_text in body  # the text is still in the box
    assert _db.session.scalar(select(func.count(Conversation.id))) == 0


def test_a_hostile_image_is_refused_with_a_clear_message_and_the_text_is_kept(alice, tmp_path):
    polyglot = b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 20
    response = _start(alice, "Here is my screenshot", photo=polyglot)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "damaged" in body and "please choose the photo again" in body
    assert "Here is my screenshot" in body
    assert _db.session.scalar(select(func.count(SupportMessage.id))) == 0
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert "Only photos can be sent here" in _start(alice, "pdf", photo=pdf).get_data(as_text=True)


def test_a_photo_is_re_encoded_and_shown_only_to_its_customer_and_the_desk(alice, bob, staff):
    _start(alice, "", photo=png_bytes())
    message = _db.session.scalar(select(SupportMessage))
    assert message.public_id and message.mime.startswith("image/") and message.body == ""
    url = f"/support/photos/{message.public_id}"
    own = alice.get(url)
    assert own.status_code == 200 and own.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert bob.get(url).status_code == 404
    assert staff("reviewer").get(url).status_code == 200
    assert staff("editor").get(url).status_code == 404


def test_customer_b_never_sees_customer_a_s_conversation(alice, bob, world):
    _start(alice, "Private question")
    conversation = _conversation()
    assert bob.get(f"/support/{conversation.id}").status_code == 404
    assert bob.post(f"/support/{conversation.id}", data={"body": "hi"}).status_code == 404
    assert "Private question" not in bob.get("/support").get_data(as_text=True)
    order = _db.session.scalar(select(Order).where(Order.customer_id == world.customer_id))
    assert bob.get(f"/support?order={order.id}").status_code == 404
    assert _start(bob, "x", order=order.id).status_code == 404


def test_polls_answer_304_until_staff_answer_then_the_new_answer(alice, staff):
    _start(alice, "Is anyone there?")
    conversation = _conversation()
    page = alice.get(f"/support/{conversation.id}").get_data(as_text=True)
    etag = re.search(r'"If-None-Match": "(W/\\"support-[^"\\]+\\")"', page).group(1).replace('\\"', '"')
    poll = {"HX-Request": "true", "If-None-Match": etag}
    unchanged = alice.get(f"/support/{conversation.id}", headers=poll)
    assert unchanged.status_code == 304 and unchanged.headers["HX-Reswap"] == "none"
    _reply(staff("reviewer"), conversation.id, "Yes, a person is here.")
    changed = alice.get(f"/support/{conversation.id}", headers=poll)
    assert changed.status_code == 200
    fragment = changed.get_data(as_text=True)
    assert "Yes, a person is here." in fragment and "<html" not in fragment
    assert fragment.index("Is anyone there?") < fragment.index(
        "Yes, a person is here."
    )  # newest at the bottom


def test_a_staff_answer_is_counted_unread_and_announced_by_inbox_and_sms(alice, staff, world):
    _start(alice, "Where is my money?")
    conversation = _conversation()
    _reply(staff("reviewer"), conversation.id)
    _db.session.expire_all()
    assert conversation.waiting_since is None and conversation.due_at is None
    inbox = _db.session.scalar(select(InboxMessage).where(InboxMessage.event == "support_reply"))
    assert inbox is not None and conversation.number in inbox.body
    sms = _db.session.scalar(select(OutboxItem).where(OutboxItem.template == "case:support_reply"))
    customer = _db.session.get(Customer, world.customer_id)
    assert sms.channel == "sms" and sms.recipient == customer.phone == DEMO_PHONE
    assert 'Contact us<span class="badge-count">1<' in alice.get("/me?lang=en").get_data(as_text=True)
    assert 'class="badge-count">1<' in alice.get("/support?lang=en").get_data(as_text=True)
    alice.get(f"/support/{conversation.id}")
    assert 'Contact us<span class="badge-count">' not in alice.get("/me?lang=en").get_data(as_text=True)


def test_a_later_customer_message_keeps_the_first_unanswered_deadline(alice):
    _start(alice, "First")
    conversation = _conversation()
    due = conversation.due_at
    alice.post(f"/support/{conversation.id}", data={"body": "Second"})
    _db.session.expire_all()
    assert conversation.due_at == due and len(conversation.messages) == 2
