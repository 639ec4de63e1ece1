"""一键退款: after a delivery failure on the platform's side, the order page refunds in full in one tap."""

from sqlalchemy import func, select

from portal.cases.models import RefundCase
from portal.extensions import db
from tests.conftest import csrf_from


def _cases(order_id: int) -> list[RefundCase]:
    return list(db.session.scalars(select(RefundCase).where(RefundCase.order_id == order_id)))


def test_a_failed_delivery_is_refunded_in_one_tap_once(journey):
    order_id = journey.orders["game_card_system_fault"]
    page = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert "Refund in one tap" in page and "no evidence to send" in page
    token = csrf_from(page)
    first = journey.post(f"/orders/{order_id}/refund/one-tap", data={"csrf_token": token})
    assert first.status_code == 303 and "/cases/" in first.headers["Location"]
    again = journey.post(f"/orders/{order_id}/refund/one-tap", data={"csrf_token": token})
    assert again.headers["Location"] == first.headers["Location"]  # a second tap: the same request
    [case] = _cases(order_id)
    assert case.auto_approvable and case.requested_fen == case.order.amount_fen and case.reason_text == ""
    assert "Refund in one tap" not in journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)


def test_without_a_platform_failure_the_wizard_is_the_way(journey):
    order_id = journey.orders["game_card_unused"]
    page = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert "Refund in one tap" not in page
    answer = journey.post(f"/orders/{order_id}/refund/one-tap", data={"csrf_token": csrf_from(page)})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/orders/{order_id}/refund")
    assert _cases(order_id) == []


def test_nobody_refunds_another_customers_order(journey, other_order_id):
    token = csrf_from(journey.get("/orders").get_data(as_text=True))
    answer = journey.post(f"/orders/{other_order_id}/refund/one-tap", data={"csrf_token": token})
    assert answer.status_code == 303 and "/cases/" not in answer.headers["Location"]
    assert journey.get(answer.headers["Location"]).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(RefundCase)) == 0


def test_the_tap_needs_the_form_token(journey):
    journey.app.config["WTF_CSRF_ENABLED"] = True  # the tests' default is off; the app checks every POST
    order_id = journey.orders["game_card_system_fault"]
    assert journey.post(f"/orders/{order_id}/refund/one-tap").status_code == 400
    assert _cases(order_id) == []
