"""The page cache (portal/pagecache.py): a repeated customer page is given again without rendering, until
anything of that customer's (or anything shared) is written; never to anyone else, never with a flash."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.accounts.cookie import SEEN, SEEN_GRANULARITY
from portal.accounts.models import LoginSession
from portal.cases.states import CaseState as S
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import InboxMessage
from portal.orders.models import Product
from portal.pagecache import SITE, Entry, PageStore, owner_of
from tests.conftest import counting
from tests.factories import OTHER_PHONE, advance, new_order, open_case_for, sign_in_customer


def queries(client, path: str, **kwargs) -> tuple[int, str]:
    db.session.expunge_all()
    with counting() as statements:
        response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    return len(statements), response.get_data(as_text=True)


CUSTOMER_PAGES = ("/orders", "/orders?tab=refundable", "/refunds", "/messages", "/me")


def test_a_repeated_page_asks_one_question_and_is_the_same_page(journey):
    order_id = journey.orders["game_card_unused"]
    for path in (*CUSTOMER_PAGES, f"/orders/{order_id}", f"/orders/{order_id}/refund"):
        rendered, first = queries(journey.client, path)
        again, second = queries(journey.client, path)
        assert rendered > 1 and again == 1, path  # the sign-in is still checked on every request
        assert second == first, path


def test_the_customers_own_write_shows_at_once(journey):
    case = open_case_for(journey.customer_id)
    before = queries(journey.client, f"/cases/{case.id}")[1]
    assert queries(journey.client, f"/cases/{case.id}")[0] == 1
    advance(case.id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)  # a reviewer takes it (another request)
    count, page = queries(journey.client, f"/cases/{case.id}")
    assert count > 1 and page != before
    queries(journey.client, "/messages")
    db.session.add(
        InboxMessage(customer_id=journey.customer_id, event="note", title="新的站内信标题", body="内容")
    )
    db.session.commit()
    assert "新的站内信标题" in queries(journey.client, "/messages")[1]


def test_another_customers_write_keeps_the_page(app, journey):
    queries(journey.client, "/orders")
    other = app.test_client()
    other_id = sign_in_customer(other, app, OTHER_PHONE)
    new_order(other_id)
    db.session.commit()
    assert queries(journey.client, "/orders")[0] == 1
    # … and the other customer never gets this customer's page: their own, rendered.
    count, page = queries(other, "/orders")
    assert count > 1 and "王先生" not in page


def test_a_shared_write_renders_every_page_anew(journey):
    queries(journey.client, "/orders")
    product = db.session.scalars(select(Product)).first()
    product.name_en = product.name_en + " (new)"
    db.session.commit()
    assert queries(journey.client, "/orders")[0] > 1


def test_bulk_statements_name_their_owner_or_change_everything(journey):
    queries(journey.client, "/messages")
    db.session.execute(
        update(InboxMessage)
        .where(InboxMessage.customer_id == -1)
        .values(read_at=None)
        .execution_options(page_owner=-1)
    )
    db.session.commit()
    assert queries(journey.client, "/messages")[0] == 1  # someone else's
    db.session.execute(update(InboxMessage).where(InboxMessage.customer_id == -1).values(read_at=None))
    db.session.commit()
    assert queries(journey.client, "/messages")[0] > 1  # no owner named: every page renders anew


def test_rows_say_whose_pages_they_change(journey):
    case = open_case_for(journey.customer_id)
    assert owner_of(case) == journey.customer_id
    assert owner_of(case.events[0]) == journey.customer_id  # through its case
    assert owner_of(db.session.scalars(select(Product)).first()) == SITE


def test_a_page_that_shows_a_flash_is_not_kept(journey):
    with journey.client.session_transaction() as session:
        session["_flashes"] = [("info", "一次性的提示")]
    _, page = queries(journey.client, "/orders")
    assert "一次性的提示" in page
    count, page = queries(journey.client, "/orders")
    assert count > 1 and "一次性的提示" not in page


def test_the_language_is_part_of_the_key(journey):
    queries(journey.client, "/me")
    assert "我的" in queries(journey.client, "/me?lang=zh_CN")[1]
    english = queries(journey.client, "/me?lang=en")[1]
    assert "Sign out" in english
    assert "Sign out" in queries(journey.client, "/me")[1]  # the choice is kept in the session


def test_conditional_polls_are_left_to_the_progress_page(journey):
    case = open_case_for(journey.customer_id)
    response = journey.client.get(f"/cases/{case.id}", headers={"HX-Request": "true"})
    etag = response.headers["ETag"]
    again = journey.client.get(f"/cases/{case.id}", headers={"HX-Request": "true", "If-None-Match": etag})
    assert again.status_code == 304


def test_a_kept_page_comes_compressed_as_asked(journey):
    plain = journey.client.get("/orders").get_data()
    for encoding in ("br", "gzip"):
        response = journey.client.get("/orders", headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"] and "HX-Request" in response.headers["Vary"]
    assert journey.client.get("/orders").get_data() == plain


@pytest.mark.config(PAGE_CACHE_SECONDS=0.2)
def test_a_kept_page_lives_no_longer_than_its_age_limit(journey):
    queries(journey.client, "/refunds")
    assert queries(journey.client, "/refunds")[0] == 1
    time.sleep(0.3)
    assert queries(journey.client, "/refunds")[0] > 1


@pytest.mark.config(REDIS_URL="redis://127.0.0.1:9/0", RQ_ENABLED=False)
def test_without_redis_every_page_renders(journey):
    for _ in range(2):
        assert queries(journey.client, "/orders")[0] > 1


@pytest.mark.config(PAGE_CACHE_SECONDS=0)
def test_the_cache_can_be_turned_off(journey):
    for _ in range(2):
        assert queries(journey.client, "/orders")[0] > 1


def test_an_address_no_route_knows_is_one_page_for_everyone(app, journey):
    with counting() as statements:
        first = journey.client.get("/no-such-page")
    assert not [s for s in statements if "login_sessions" in s]  # no sign-in looked up
    with counting() as statements:
        second = app.test_client().get("/no-such-page")
    assert statements == []  # nothing rendered twice
    assert first.status_code == second.status_code == 404
    assert first.get_data() == second.get_data()
    page = first.get_data(as_text=True)
    assert "X-CSRFToken" not in page and "csrf" not in page.lower()
    assert "找不到" in page or "不存在" in page
    english = app.test_client().get("/nowhere", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Not found" in english
    # A 404 that a page raises (someone else's order) still knows who asks.
    assert journey.client.get("/orders/999999").status_code == 404


def test_the_store_keeps_within_its_byte_budget():
    store = PageStore(max_bytes=10, max_age=60)
    for n in range(5):
        store.put(("page", n), Entry(200, (), b"1234", time.monotonic()))
    assert store.bytes <= 10 and len(store) == 2
    assert store.get(("page", 4)) is not None and store.get(("page", 0)) is None
    store.put(("page", 4), Entry(200, (), b"12", time.monotonic()))  # replaced, not counted twice
    assert store.bytes == 6


def test_a_page_that_told_the_app_news_is_not_kept(app, client, world):
    customer_id = sign_in_customer(client, app, embed=True)
    client.get("/orders")  # the first page inside the APP sets the mark
    case = open_case_for(customer_id)
    advance(case.id, S.EVIDENCE_RECEIVED)
    told = client.get("/orders").get_data(as_text=True)
    assert "data-bridge-event=" in told
    # Told once: the next answer is rendered without it (the same page from the cache would tell it again).
    assert "data-bridge-event=" not in client.get("/orders").get_data(as_text=True)


def _statements(client, path: str) -> tuple[list[str], object]:
    db.session.expunge_all()
    with counting() as statements:
        response = client.get(path)
    return statements, response


def test_a_kept_page_checks_the_sign_in_without_loading_the_customer(journey):
    queries(journey.client, "/refunds")
    statements, response = _statements(journey.client, "/refunds")
    assert response.status_code == 200 and len(statements) == 1
    assert "login_sessions.created_at" in statements[0] and "staff_users" not in statements[0]


def _quietly(statement):
    """Change a sign-in behind the cache's back (no revision raised), to test the sign-in check alone."""
    db.session.execute(statement.execution_options(page_owner=None))
    db.session.commit()


def test_a_sign_in_ended_elsewhere_gets_no_kept_page(journey):
    queries(journey.client, "/refunds")
    _quietly(update(LoginSession).values(ended_at=utcnow()))
    response = journey.client.get("/refunds")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_sign_in_past_its_lifetime_gets_no_kept_page(journey):
    queries(journey.client, "/refunds")
    _quietly(update(LoginSession).values(created_at=utcnow() - timedelta(days=2)))
    response = journey.client.get("/refunds")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_once_a_minute_the_usual_way_refreshes_the_last_seen_time(journey):
    queries(journey.client, "/refunds")
    with journey.client.session_transaction() as session:
        session[SEEN] -= SEEN_GRANULARITY + 1
    statements, response = _statements(journey.client, "/refunds")
    assert response.status_code == 200 and len(statements) == 1
    assert "staff_users" in statements[0]  # the user loader's query; the page itself was still kept
    assert "Set-Cookie" in response.headers  # the new time
    statements, _ = _statements(journey.client, "/refunds")
    assert "staff_users" not in statements[0]
