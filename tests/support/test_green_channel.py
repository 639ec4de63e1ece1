"""Green channel on request: asked with a reason on an open request; a senior grants or declines; 退款进度
shows 绿色通道 and why (granted, or high value automatically) and the faster deadline."""

from sqlalchemy import select

from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import assess_order
from portal.extensions import db as _db
from portal.notifications.models import InboxMessage
from portal.orders.models import Order
from portal.policy.kinds import RefundType
from portal.support.models import GreenChannelRequest
from tests.factories import GREEN_CHANNEL_FEN, open_case_for
from tests.factories import open_case as open_staff_case


def _ask(client, case_id, reason="I need the money for rent tomorrow."):
    return client.post(f"/support/cases/{case_id}/green-channel?lang=en", data={"reason": reason})


def test_the_progress_page_offers_priority_and_the_customer_asks_with_a_reason(alice, world):
    case_id = open_case_for(world.customer_id).id
    page = alice.get(f"/cases/{case_id}?lang=en").get_data(as_text=True)
    assert f"/support/cases/{case_id}/green-channel" in page
    form = alice.get(f"/support/cases/{case_id}/green-channel?lang=zh_CN").get_data(as_text=True)
    # The lengths come from portal/cases/deadlines.py.
    assert "1个工作日内完成" in form and "高级审核员将在24小时内答复" in form
    short = _ask(alice, case_id, "now")
    assert short.status_code == 422 and "why this is urgent" in short.get_data(as_text=True)
    assert _ask(alice, case_id).status_code == 303
    request = _db.session.scalar(select(GreenChannelRequest))
    assert request.status == "pending" and request.reason == "I need the money for rent tomorrow."
    page = alice.get(f"/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "You asked for priority. A senior reviewer answers by" in page
    assert _ask(alice, case_id).status_code == 422  # one request at a time
    logged = _db.session.scalar(select(CaseEvent).where(CaseEvent.action == "green_channel_requested"))
    assert logged.case_id == case_id


def test_a_senior_grants_and_the_case_goes_first_with_the_faster_deadline(alice, staff, world):
    case_id = open_case_for(world.customer_id).id
    _ask(alice, case_id)
    request = _db.session.scalar(select(GreenChannelRequest))
    before = _db.session.get(RefundCase, case_id).review_due_at
    assert staff("reviewer").get("/staff/support/green-channel").status_code == 403
    senior = staff("senior")
    assert "I need the money for rent tomorrow." in senior.get("/staff/support/green-channel").get_data(
        as_text=True
    )
    assert (
        senior.post(f"/staff/support/green-channel/{request.id}", data={"decision": "grant"}).status_code
        == 303
    )
    _db.session.expire_all()
    case = _db.session.get(RefundCase, case_id)
    assert request.status == "granted" and case.green_channel and case.review_due_at <= before
    page = alice.get(f"/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "Green channel" in page and "You asked for priority and a senior reviewer granted it." in page
    assert _db.session.scalar(select(InboxMessage).where(InboxMessage.event == "green_channel_granted"))
    again = senior.post(f"/staff/support/green-channel/{request.id}", data={"decision": "decline"})
    assert again.status_code == 303  # already answered: nothing changes
    _db.session.expire_all()
    assert request.status == "granted"


def test_a_declined_request_says_why_and_may_be_asked_again(alice, staff, world):
    case_id = open_case_for(world.customer_id).id
    _ask(alice, case_id)
    request = _db.session.scalar(select(GreenChannelRequest))
    staff("senior").post(
        f"/staff/support/green-channel/{request.id}",
        data={"decision": "decline", "answer": "Your review is due tomorrow already."},
    )
    _db.session.expire_all()
    assert request.status == "declined" and not _db.session.get(RefundCase, case_id).green_channel
    page = alice.get(f"/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "Your request for priority was declined. Your review is due tomorrow already." in page
    assert f"/support/cases/{case_id}/green-channel" in page


def _high_value_case(customer_id: int) -> RefundCase:
    for order in _db.session.scalars(
        select(Order).where(Order.customer_id == customer_id).order_by(Order.id)
    ):
        for kind in RefundType:
            assessment = assess_order(order, kind)
            if assessment.eligible and assessment.suggested_fen >= GREEN_CHANNEL_FEN:
                return open_staff_case(order, kind)
    raise LookupError("no high-value order in the demo world")


def test_high_value_cases_show_the_green_channel_automatically_with_why(world, alice):
    case = _high_value_case(world.customer_id)
    assert case.green_channel and not case.urgent
    page = alice.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Orders of ¥500.00 or more go in the green channel automatically." in page
    assert f"/support/cases/{case.id}/green-channel" not in page


def test_customer_b_cannot_ask_for_priority_on_a_s_request(bob, world):
    case_id = open_case_for(world.customer_id).id
    assert bob.get(f"/support/cases/{case_id}/green-channel").status_code == 404
    assert _ask(bob, case_id).status_code == 404
