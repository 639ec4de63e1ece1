"""我的订单 and the order page: search, refund badges, the rule summary, privacy."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal.accounts.models import StaffUser
from portal.cases.models import RefundCase
from portal.clock import utcnow
from portal.extensions import db
from portal.orders.models import Order
from portal.policyeditor import services as editor
from tests.conftest import htmx_headers
from tests.factories import open_case_for


def listed_numbers(html: str) -> list[str]:
    return re.findall(r"ZS\d{16}", html.split('id="order-results"', 1)[1])


def test_order_list_newest_first_and_paginated(journey):
    html = journey.get("/orders?lang=en").get_data(as_text=True)
    assert "42 orders" in html
    numbers = listed_numbers(html)
    assert len(numbers) == 10
    paid = [db.session.scalar(select(Order.paid_at).where(Order.number == n)) for n in numbers]
    assert paid == sorted(paid, reverse=True)
    page4 = journey.get("/orders?lang=en&page=5").get_data(as_text=True)
    assert len(listed_numbers(page4)) == 2 and "Page 5 of 5" in page4


def test_search_by_number_prefix_exact_and_digits(journey):
    number = db.session.get(Order, journey.orders["topup_credited"]).number
    assert listed_numbers(journey.get(f"/orders?q={number}").get_data(as_text=True)) == [number]
    assert listed_numbers(journey.get(f"/orders?q={number.lower()}").get_data(as_text=True)) == [number]
    prefix = number[:-1]  # ZS20261128000000 + one digit short: the orders 1–9 of the sequence… and more
    found = listed_numbers(journey.get(f"/orders?q={prefix}").get_data(as_text=True))
    assert number in found and all(n.startswith(prefix) for n in found)
    digits = number[2:]
    assert listed_numbers(journey.get(f"/orders?q={digits}").get_data(as_text=True)) == [number]


def test_search_by_chinese_substring_and_english_name(journey):
    html = journey.get("/orders?q=Q币&lang=en").get_data(as_text=True)
    titles = re.findall(r'class="product-title" lang="zh-CN">([^<]+)<', html)
    assert titles and all("Q币" in t for t in titles)
    html = journey.get("/orders?q=q-coin&lang=en").get_data(as_text=True)
    assert re.findall(r'class="product-title" lang="zh-CN">([^<]+)<', html) == titles
    assert "No orders match your search." in journey.get("/orders?q=不存在的商品&lang=en").get_data(
        as_text=True
    )


def test_search_treats_like_wildcards_literally(journey):
    html = journey.get("/orders?q=%25&lang=en").get_data(as_text=True)
    assert "No orders match your search." in html


def test_search_by_date_range(journey):
    today = utcnow().date()
    recent = journey.get(f"/orders?date_from={today - timedelta(days=1)}&date_to={today + timedelta(days=1)}")
    numbers = listed_numbers(recent.get_data(as_text=True))
    cutoff = utcnow() - timedelta(days=3)
    for n in numbers:
        assert db.session.scalar(select(Order.paid_at).where(Order.number == n)) > cutoff
    assert numbers


def test_search_with_end_before_start_is_refused_with_a_message(journey):
    response = journey.get("/orders?date_from=2026-11-20&date_to=2026-11-01&lang=en")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The end date is before the start date." in html and 'value="2026-11-20"' in html


@pytest.mark.parametrize(
    ("status", "situation", "excluded"),
    [
        ("refunded", "fully_refunded", "topup_credited"),
        ("abnormal", "game_card_system_fault", "fully_refunded"),
        ("credited", "topup_credited", "game_card_system_fault"),
        ("completed", "game_card_unused", "topup_not_credited"),
    ],
)
def test_filter_by_status(journey, status, situation, excluded):
    html = journey.get(f"/orders?status={status}&lang=en").get_data(as_text=True)
    found = listed_numbers(html)
    total = int(re.search(r"(\d+) orders?", html).group(1))
    every = []
    for page in range(1, (total + 9) // 10 + 1):
        every += listed_numbers(journey.get(f"/orders?status={status}&page={page}").get_data(as_text=True))
    assert found and len(every) == total
    assert db.session.get(Order, journey.orders[situation]).number in every
    assert db.session.get(Order, journey.orders[excluded]).number not in every


def test_results_fragment_for_htmx_and_full_page_otherwise(journey):
    fragment = journey.get("/orders?q=Q币", headers=htmx_headers())
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "order-list" in body and "HX-Request" in fragment.headers["Vary"]
    page = journey.get("/orders?q=Q币").get_data(as_text=True)
    assert "<html" in page and 'hx-push-url="true"' in page and 'value="Q币"' in page


def _row(html: str, number: str) -> str:
    return html.split('id="order-results"', 1)[1].split(number, 1)[1].split("</li>", 1)[0]


def test_badges_refundable_not_refundable_in_progress_refunded(journey):
    def row_for(key: str) -> str:
        order = db.session.get(Order, journey.orders[key])
        html = journey.get(f"/orders?q={order.number}&lang=en").get_data(as_text=True)
        return _row(html, order.number)

    assert "Refundable up to ¥100.00" in row_for("game_card_system_fault")
    credited = row_for("topup_credited")
    assert "Not refundable" in credited and "The top-up has been credited" in credited
    assert "Refunded" in row_for("fully_refunded") and "Refundable" not in row_for("fully_refunded")
    # Partly used game item (20 %), half already refunded: the unused share (80 %) less what went back.
    assert "Refundable up to ¥29.40" in row_for("partly_refunded")
    journey.ready_to_submit(journey.orders["game_card_unused"], "not_received", "topup_failure_screenshot")
    key = journey.idempotency_key(journey.orders["game_card_unused"])
    journey.post(f"/orders/{journey.orders['game_card_unused']}/refund/submit", data={"idempotency_key": key})
    assert "Refund in progress" in row_for("game_card_unused")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_badges_cost_the_same_number_of_queries_whatever_the_page_size(journey, app, lang):
    def count_queries(per_page: int) -> int:
        app.config["ORDERS_PER_PAGE"] = per_page
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert journey.get(f"/orders?lang={lang}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    count_queries(3)  # the first request of a session loads more (sign-in session, policy)
    assert count_queries(3) == count_queries(30)


def test_order_page_shows_facts_rule_and_apply_button(journey):
    order_id = journey.orders["game_card_system_fault"]
    html = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert "Refund rule: Game card" in html and "Unused game cards can be refunded" in html
    assert "Failed: platform system fault" in html and "Alipay" in html
    assert f'href="/orders/{order_id}/refund"' in html and "Refund in one tap" in html  # and the wizard


def test_credited_top_up_says_why_and_offers_no_refund(journey):
    html = journey.get(f"/orders/{journey.orders['topup_credited']}?lang=en").get_data(as_text=True)
    assert "Not refundable" in html and "The top-up has been credited" in html
    assert "Apply for refund" not in html and "/refund" not in html.split('id="refund"', 1)[1]
    assert "Top-ups cannot be refunded once credited" in html


def test_published_summary_replaces_the_default(journey):
    # Through the editor: a published version never changes, so pages keep its content per process.
    editor_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "editor"))
    draft = editor.start_draft(editor_id)
    draft.texts = {**draft.texts, "_summaries": {"en": {"game_card": "Edited summary for cards."}}}
    editor.publish(draft, editor_id, "card summary")
    db.session.commit()
    html = journey.get(f"/orders/{journey.orders['game_card_unused']}?lang=en").get_data(as_text=True)
    assert "Edited summary for cards." in html


def test_order_in_progress_links_to_the_case(journey):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", "topup_failure_screenshot")
    key = journey.idempotency_key(order_id)
    journey.post(f"/orders/{order_id}/refund/submit", data={"idempotency_key": key})
    case_id = db.session.scalar(select(RefundCase.id).where(RefundCase.order_id == order_id))
    html = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert "already in progress" in html and f'href="/cases/{case_id}"' in html


def test_another_customers_order_is_not_found(journey, other_order_id):
    assert journey.get(f"/orders/{other_order_id}").status_code == 404
    assert journey.get(f"/orders/{other_order_id}/refund").status_code == 404
    assert journey.get("/orders/999999").status_code == 404
    other_number = db.session.get(Order, other_order_id).number
    assert listed_numbers(journey.get(f"/orders?q={other_number}").get_data(as_text=True)) == []


def test_orders_need_a_signed_in_customer(client):
    response = client.get("/orders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_order_tabs_split_the_orders_by_refund_state(journey):
    open_case_for(journey.customer_id, None)
    counts = {}
    tabs = {"": "All", "refundable": "Refundable", "in_progress": "Refunding"}
    tabs["refunded"] = "Refunded"
    for tab, label in tabs.items():
        page = journey.get(f"/orders?tab={tab}&lang=en").get_data(as_text=True)
        counts[tab] = int(re.search(r"(\d+) orders?<", page).group(1))
        assert re.search(rf'aria-current="page">{label}</a>', page), tab
    assert counts["in_progress"] == 1 and counts["refunded"] >= 1 and 0 < counts["refundable"] < counts[""]
    refundable = journey.get("/orders?tab=refundable&lang=en").get_data(as_text=True)
    assert "Not refundable" not in refundable and "Refund in progress</span>" not in refundable
