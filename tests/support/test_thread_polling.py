"""The conversation's live updates take 退款进度's fast lane: an unchanged thread is a 304 after one query,
before Flask; a new message (either side) is a 200 with the new message list."""

import pytest
from sqlalchemy import Engine, event, select

from portal.accounts.models import Customer, LoginSession
from portal.clock import utcnow
from portal.extensions import db as _db
from portal.support.models import Conversation
from tests.conftest import htmx_headers


class QueryCounter:
    """Statements sent by any engine (the fast lane keeps its own connection)."""

    def __init__(self):
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(Engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


def _open_thread(alice) -> tuple[str, str]:
    """Write a first message; (the thread's URL, the ETag its poll sends)."""
    location = alice.post("/support", data={"body": "Is anyone there?"}).headers["Location"]
    url = location.split("#")[0]
    return url, alice.get(url, headers=htmx_headers()).headers["ETag"]


def test_an_unchanged_thread_answers_304_after_one_query_and_a_new_answer_200(alice, staff):
    url, etag = _open_thread(alice)
    assert etag.startswith('W/"support-')
    with QueryCounter() as counter:
        unchanged = alice.get(url, headers=htmx_headers(**{"If-None-Match": etag}))
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["HX-Reswap"] == "none" and unchanged.headers["ETag"] == etag
    assert "Set-Cookie" not in unchanged.headers
    # The session check and the conversation's stamp together, by primary keys: nothing else is read.
    assert len(counter.statements) == 1, counter.statements
    assert "support_conversations.id =" in counter.statements[0] and "login_sessions" in counter.statements[0]

    conversation = _db.session.scalar(select(Conversation))
    staff("reviewer").post(f"/staff/support/{conversation.id}/reply", data={"body": "Yes, a person is here."})
    changed = alice.get(url, headers=htmx_headers(**{"If-None-Match": etag}))
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    fragment = changed.get_data(as_text=True)
    assert "Yes, a person is here." in fragment and "<html" not in fragment
    # The new list carries its own ETag for the next poll, and that one is unchanged again.
    again = alice.get(url, headers=htmx_headers(**{"If-None-Match": changed.headers["ETag"]}))
    assert again.status_code == 304


def test_the_customer_s_own_new_message_changes_the_thread(alice):
    url, etag = _open_thread(alice)
    alice.post(url, data={"body": "One more thing."})
    assert alice.get(url, headers=htmx_headers(**{"If-None-Match": etag})).status_code == 200


@pytest.mark.parametrize(
    "query,locale,accept", [("?lang=en", "zh_CN", None), ("", "en", None), ("", "zh_CN", "en")]
)
def test_the_cheap_poll_agrees_with_the_page_on_the_language(app, alice, world, query, locale, accept):
    _db.session.get(Customer, world.customer_id).locale = locale
    _db.session.commit()
    url, _etag = _open_thread(alice)
    headers = htmx_headers(**({"Accept-Language": accept} if accept else {}))
    etag = alice.get(url + query, headers=headers).headers["ETag"]
    with QueryCounter() as counter:
        again = alice.get(url + query, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and len(counter.statements) == 1


def test_another_customer_s_poll_and_an_ended_session_are_not_answered(alice, bob):
    url, etag = _open_thread(alice)
    assert bob.get(url, headers=htmx_headers(**{"If-None-Match": etag})).status_code == 404
    _db.session.remove()
    for login in _db.session.scalars(select(LoginSession)):
        login.ended_at = utcnow()
    _db.session.commit()
    response = alice.get(url, headers=htmx_headers(**{"If-None-Match": etag}))
    assert response.status_code in (302, 401)  # the app answers: sign in again


def test_a_page_load_is_never_a_304(alice):
    url, etag = _open_thread(alice)
    page = alice.get(url, headers={"If-None-Match": etag})
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
