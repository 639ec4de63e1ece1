"""After a final decision the order says why no new request of that type is possible; a trial refund goes
through the wizard without a reason."""

import secrets

import pytest

from portal.cases.services import CaseError, CaseRequest, submit_case
from portal.extensions import db
from portal.orders.models import Order
from portal.policy.kinds import RefundType
from portal.staff import services as staff_services
from tests.factories import open_case, staff


def _arbitrated(journey, key: str, refund_type: RefundType):
    order = db.session.get(Order, journey.orders[key])
    case = open_case(order, refund_type=refund_type)
    staff_services.escalate(case, case.version, staff("reviewer"), "unclear")
    staff_services.record_arbitration(case, case.version, staff("senior"), "ARB-7", None, "不予退款")
    return order, case


def test_after_arbitration_the_same_type_is_closed_and_another_stays_open(journey):
    order, case = _arbitrated(journey, "game_card_unused", RefundType.NOT_RECEIVED)
    assert case.final_decision and case.state == "rejected"
    request = CaseRequest(
        customer_id=order.customer_id,
        order_id=order.id,
        refund_type=RefundType.NOT_RECEIVED,
        reason_text="again",
        amount_fen=order.amount_fen,
        idempotency_key=secrets.token_hex(16),
    )
    with pytest.raises(CaseError) as refused:
        submit_case(request)
    assert refused.value.code == "finally_decided"
    db.session.rollback()
    assert open_case(order, refund_type=RefundType.INVALID).is_open


def test_the_wizard_and_the_order_page_explain_a_final_decision(journey):
    order, _ = _arbitrated(journey, "topup_not_credited", RefundType.NOT_RECEIVED)
    page = journey.get(f"/orders/{order.id}?lang=zh_CN").get_data(as_text=True)
    assert "不可退款" in page and "该订单的此类退款申请已有最终结果" in page
    badge = journey.get(f"/orders?q={order.number}&lang=en").get_data(as_text=True)
    assert "A final decision was made on this request" in badge
    wizard = journey.get(f"/orders/{order.id}/refund?lang=en").get_data(as_text=True)
    choice = wizard.split('id="type-not_received"', 1)[1].split("</label>", 1)[0]
    assert "disabled" in choice.split(">", 1)[0] and "A final decision was made" in choice


def test_a_trial_refund_needs_no_reason(journey):
    order_id = journey.orders["software_trial"]
    assert journey.choose(order_id, "trial_no_reason").status_code == 303
    page = journey.get(f"/orders/{order_id}/refund/reason?lang=zh_CN").get_data(as_text=True)
    assert "此类退款无需填写理由" in page
    response = journey.describe(order_id, reason="", amount="30.00")
    assert response.status_code == 303, response.get_data(as_text=True)
    review = journey.get(f"/orders/{order_id}/refund/review?lang=en")
    assert review.status_code == 200
    key = journey.idempotency_key(order_id)
    submitted = journey.post(f"/orders/{order_id}/refund/submit?lang=en", data={"idempotency_key": key})
    assert submitted.status_code == 303 and "/cases/" in submitted.headers["Location"]


def test_other_types_still_need_a_reason(journey):
    order_id = journey.orders["software_unactivated_10d"]
    journey.choose(order_id, "software_unactivated")
    response = journey.describe(order_id, reason="", amount="299.00")
    assert response.status_code == 422 and "Please describe the problem." in response.get_data(as_text=True)
