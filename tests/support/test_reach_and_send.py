"""联系客服 in the title bar of every customer page (with the page's order or request), and Send that is
stored once however often it is tapped, within a per-customer message allowance."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.extensions import db as _db
from portal.orders.models import Order
from portal.support import services
from portal.support.models import Conversation, SupportMessage
from tests.conftest import FreshRequestClient
from tests.factories import PHONE, open_case_for, sign_in_customer

TITLEBAR_SUPPORT = re.compile(r'<a class="titlebar-support" href="([^"]*)">')


def _support_href(client, path: str) -> str | None:
    page = client.get(path).get_data(as_text=True)
    found = TITLEBAR_SUPPORT.search(page)
    return found.group(1).replace("&amp;", "&") if found else None


def _first_order(world) -> Order:
    return _db.session.scalar(select(Order).where(Order.customer_id == world.customer_id).order_by(Order.id))


def _messages() -> int:
    return _db.session.scalar(select(func.count(SupportMessage.id)))


def _token(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("embed", [False, True], ids=["site", "embed"])
def test_every_customer_page_has_contact_us_in_the_title_bar_about_its_order_or_request(app, world, embed):
    client = FreshRequestClient(app, app.response_class, use_cookies=True)
    sign_in_customer(client, app, PHONE, embed=embed)
    order = _first_order(world)
    case_id = open_case_for(world.customer_id).id
    general = [
        "/orders",
        "/refunds",
        "/messages",
        "/messages/settings",
        "/me",
        "/support/complaints",
    ]
    for path in general:
        assert _support_href(client, path) == "/support", path
    about_order = [f"/orders/{order.id}", f"/orders/{order.id}/refund"]
    for path in about_order:
        assert _support_href(client, path) == f"/support?order={order.id}", path
    for path in (f"/cases/{case_id}", f"/support/cases/{case_id}/green-channel"):
        assert _support_href(client, path) == f"/support?case={case_id}", path
    # It leads to a conversation about that request (a plain link: no JavaScript needed).
    assert client.get(f"/support?case={case_id}").status_code == 200
    page = client.get("/orders").get_data(as_text=True)
    assert ("embed-close" in page) is embed
    link = re.search(r'<a class="titlebar-support".*?</a>', page, re.S).group(0)
    assert '<span class="visually-hidden">联系客服</span>' in link  # its accessible name


def test_the_title_bar_counts_unread_answers_and_is_absent_in_the_conversation(alice, staff, world):
    alice.post("/support", data={"body": "Hello?"})
    conversation = _db.session.scalar(select(Conversation))
    staff("reviewer").post(
        f"/staff/support/{conversation.id}/reply", data={"body": "Hello, how can we help?"}
    )
    page = alice.get("/orders?lang=en").get_data(as_text=True)
    link = re.search(r'<a class="titlebar-support".*?</a>', page, re.S).group(0)
    assert (
        "Contact customer service 1 unread" in link
        and '<span class="badge-count" aria-hidden="true">1<' in link
    )
    thread = alice.get(f"/support/{conversation.id}").get_data(as_text=True)
    assert "titlebar-support" not in thread  # the conversation is the page itself
    assert "titlebar-support" not in staff("reviewer").get("/staff/support").get_data(as_text=True)


def test_a_double_tapped_send_is_stored_once_and_both_answers_lead_to_the_thread(alice):
    token = _token(alice.get("/support").get_data(as_text=True))
    first = alice.post("/support", data={"body": "Where is my refund?", "token": token})
    again = alice.post("/support", data={"body": "Where is my refund?", "token": token})
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert _messages() == 1 and _db.session.scalar(select(func.count(Conversation.id))) == 1

    thread = alice.get(first.headers["Location"]).get_data(as_text=True)
    token = _token(thread)  # a new form, a new token
    url = first.headers["Location"].split("#")[0]
    answers = [alice.post(url, data={"body": "Any news?", "token": token}) for _ in range(3)]
    assert {a.status_code for a in answers} == {303} and len({a.headers["Location"] for a in answers}) == 1
    assert _messages() == 2
    assert alice.post(url, data={"body": "Any news?", "token": "another-form"}).status_code == 303
    assert _messages() == 3  # the same words from a new form are a new message


def test_a_refused_send_keeps_its_token_so_the_corrected_one_goes_through(alice):
    token = _token(alice.get("/support").get_data(as_text=True))
    refused = alice.post("/support", data={"body": " ", "token": token})
    assert refused.status_code == 422 and _token(refused.get_data(as_text=True)) == token
    assert alice.post("/support", data={"body": "Now with words", "token": token}).status_code == 303
    assert _messages() == 1


def test_the_database_refuses_a_second_message_with_the_same_token(alice, world):
    """Two requests racing past the look-up still cannot store the message twice."""
    conversation = services.open_conversation(world.customer_id, None, None, utcnow())
    services.add_customer_message(conversation, "one", None, None, utcnow(), "tok-1")
    _db.session.commit()
    with pytest.raises(IntegrityError):
        services.add_customer_message(conversation, "one", None, None, utcnow(), "tok-1")
    _db.session.rollback()
    assert _messages() == 1


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "You have sent many messages in a short time. Your text is kept"),
        ("zh_CN", "您在短时间内发送的消息太多。您输入的内容已保留"),
    ],
)
def test_past_the_message_allowance_the_customer_is_told_and_keeps_the_text(alice, lang, text):
    for n in range(10):  # services.MESSAGE_RATE: 10 a minute
        assert alice.post("/support", data={"body": f"message {n}", "token": f"t{n}"}).status_code == 303
    conversation = _db.session.scalar(select(Conversation))
    refused = alice.post(
        f"/support/{conversation.id}?lang={lang}", data={"body": "Still there? 还在吗？", "token": "t10"}
    )
    assert refused.status_code == 429
    body = refused.get_data(as_text=True)
    assert text in body and "Still there? 还在吗？" in body and 'role="alert"' in body
    assert _messages() == 10
    # A repeat of a message already stored is not a new one: still the thread, not a refusal.
    repeat = alice.post(f"/support/{conversation.id}", data={"body": "message 9", "token": "t9"})
    assert repeat.status_code == 303 and _messages() == 10
