"""申诉 against a partial approval on 退款进度: offered only then and once, the customer's own, one appeal
per double submit, with and without JavaScript; the appeal's page shows its 24-hour deadline; pages link."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import InboxMessage
from tests.conftest import htmx_headers
from tests.factories import (
    approve,
    count,
    demo_customer,
    new_customer,
    new_order,
    open_case,
    partly_approve,
    sign_in_customer,
)

REASON = "The code did not work at all, I want all of it back."


def _page(client, case_id: int) -> str:
    return client.get(f"/cases/{case_id}?lang=en").text


def _appeal(client, case_id: int, reason: str = REASON, headers=None):
    return client.post(f"/cases/{case_id}/appeal?lang=en", data={"reason": reason}, headers=headers or {})


def _appeals_of(case_id: int) -> list[RefundCase]:
    db.session.expire_all()
    return list(db.session.scalars(select(RefundCase).where(RefundCase.appeal_of_id == case_id)))


@pytest.fixture
def partial(world, customer):
    """A ¥75 card: ¥30 of it approved by a reviewer (the rest, ¥45, not granted)."""
    case = open_case(new_order(demo_customer().id))
    partly_approve(case, 3000)
    return db.session.get(RefundCase, case.id)


def test_a_partial_approval_offers_an_appeal_for_the_rest(client, partial):
    page = _page(client, partial.id)
    assert 'id="appeal"' in page
    assert "You may appeal for the ¥45.00 not granted." in page


def test_a_full_approval_offers_no_appeal(client, world, customer):
    case = open_case(new_order(demo_customer().id))
    approve(case)
    assert 'id="appeal"' not in _page(client, case.id)
    response = _appeal(client, case.id)
    assert response.status_code == 303 and response.location.endswith(f"/cases/{case.id}")
    assert _appeals_of(case.id) == []


def test_the_appeal_is_a_linked_case_for_the_rest_with_a_24_hour_deadline(client, partial):
    before = utcnow()
    response = _appeal(client, partial.id)
    assert response.status_code == 303
    [appeal] = _appeals_of(partial.id)
    assert response.location.endswith(f"/cases/{appeal.id}")
    assert appeal.state == CaseState.APPEALED and appeal.is_open
    assert appeal.requested_fen == 4500 and appeal.refund_type == partial.refund_type
    assert before + timedelta(hours=24) <= appeal.step_due_at <= utcnow() + timedelta(hours=24)
    assert appeal.assigned_to_id is not None and appeal.assigned_to_id != partial.decided_by_id
    # The granted part goes on as decided.
    assert db.session.get(RefundCase, partial.id).approved_fen == 3000
    page = _page(client, appeal.id)
    assert "Answer to your appeal due by" in page
    assert "A senior reviewer who took no part in the decision is answering your appeal." in page
    assert f'href="/cases/{partial.id}"' in page and partial.number in page.replace("<wbr>", "")
    assert 'id="appeal"' not in page  # an appeal is not appealed while it is answered
    original = _page(client, partial.id)
    assert f'href="/cases/{appeal.id}"' in original and "Your appeal" in original
    assert 'id="appeal"' not in original  # not twice


def test_a_double_submit_makes_one_appeal_and_lands_in_the_same_place(client, partial):
    first = _appeal(client, partial.id)
    second = _appeal(client, partial.id)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(_appeals_of(partial.id)) == 1


def test_with_htmx_the_page_moves_to_the_appeal(client, partial):
    response = _appeal(client, partial.id, headers=htmx_headers())
    [appeal] = _appeals_of(partial.id)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/cases/{appeal.id}"


def test_a_too_short_reason_is_refused_and_kept(client, partial):
    response = _appeal(client, partial.id, reason="no")
    assert response.status_code == 422
    assert "why you appeal" in response.text and ">no</textarea>" in response.text
    assert _appeals_of(partial.id) == []


def test_another_customer_cannot_appeal_the_case(app, client, partial):
    stranger = new_customer("+8613700137000")
    db.session.commit()
    sign_in_customer(client, app, stranger.phone)
    assert _appeal(client, partial.id).status_code == 404
    assert client.get(f"/cases/{partial.id}").status_code == 404
    assert _appeals_of(partial.id) == []


def test_no_appeal_while_another_request_of_the_order_is_open(client, partial):
    """One request at a time: the linked appeal is the one exception, only for the partly approved case."""
    other = RefundCase(
        number="RFOTHER1",
        order_id=partial.order_id,
        customer_id=partial.customer_id,
        refund_type=partial.refund_type,
        state=CaseState.UNDER_REVIEW,
        is_open=True,
        reason_text="x",
        requested_fen=100,
        suggested_fen=100,
        clause="test",
        idempotency_key="other-open",
        appeal_of_id=None,
    )
    partial.state, partial.is_open = CaseState.REFUNDED, False  # so the order may hold another open request
    db.session.add(other)
    db.session.commit()
    assert 'id="appeal"' not in _page(client, partial.id)
    _appeal(client, partial.id)
    assert _appeals_of(partial.id) == []


def test_the_customer_is_told_in_the_inbox_under_the_request_they_know(client, partial):
    _appeal(client, partial.id)
    [appeal] = _appeals_of(partial.id)
    message = db.session.scalar(
        select(InboxMessage).where(InboxMessage.case_id == appeal.id, InboxMessage.event == "appealed")
    )
    assert message is not None and partial.number in message.body
    assert count(InboxMessage, InboxMessage.case_id == appeal.id) == 1
