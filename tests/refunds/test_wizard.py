"""申请退款: the wizard end to end, as plain forms and with htmx, and every bad input it must survive."""

import re

import pytest
from sqlalchemy import func, select

from portal.cases.models import RefundCase, RefundDraft
from portal.evidence.models import EvidenceFile
from portal.extensions import db
from tests.conftest import htmx_headers
from tests.samples import jpeg

CARD_ITEM = "topup_failure_screenshot"


def test_the_whole_journey_with_plain_forms(journey):
    order_id = journey.orders["game_card_system_fault"]
    step1 = journey.get(f"/orders/{order_id}/refund?lang=en")
    assert step1.status_code == 200 and "Show the policy" in step1.get_data(as_text=True)

    response = journey.choose(order_id, "not_received")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/orders/{order_id}/refund/reason"
    )

    step2 = journey.get(f"/orders/{order_id}/refund/reason?lang=en").get_data(as_text=True)
    assert 'value="100.00"' in step2 and "Item not received" in step2
    response = journey.describe(order_id, "卡密一直没有收到。", "100.00")
    assert response.status_code == 303 and response.headers["Location"].endswith("/refund/evidence")

    step3 = journey.get(f"/orders/{order_id}/refund/evidence?lang=en").get_data(as_text=True)
    assert (
        'capture="environment"' in step3
        and "multiple" in step3
        and "Screenshot of the in-game top-up" in step3
    )
    response = journey.upload(order_id, CARD_ITEM, jpeg(), "失败截图.jpg")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#item-{CARD_ITEM}")
    step3 = journey.get(f"/orders/{order_id}/refund/evidence?lang=en").get_data(as_text=True)
    assert "失败截图.jpg" in step3 and "/thumb" in step3 and 'class="tick"' in step3

    review = journey.get(f"/orders/{order_id}/refund/review?lang=en").get_data(as_text=True)
    assert "卡密一直没有收到。" in review and "¥100.00" in review and "Submit refund request" in review
    key = journey.idempotency_key(order_id)
    response = journey.post(f"/orders/{order_id}/refund/submit", data={"idempotency_key": key})
    case = db.session.scalar(select(RefundCase).where(RefundCase.order_id == order_id))
    assert response.status_code == 303 and response.headers["Location"] == f"/cases/{case.id}"
    assert case.requested_fen == 10000 and case.reason_text == "卡密一直没有收到。"
    assert [e.checklist_key for e in case.evidence] == [CARD_ITEM]
    assert db.session.scalar(select(func.count()).select_from(RefundDraft)) == 0


def test_the_whole_journey_with_htmx(journey):
    order_id = journey.orders["game_card_unused"]
    hint = journey.get(f"/orders/{order_id}/refund?refund_type=not_received&lang=en", headers=htmx_headers())
    body = hint.get_data(as_text=True)
    assert hint.status_code == 200 and "<html" not in body and "policy-hint" in body
    assert "Screenshot of the in-game top-up failure" in body

    response = journey.post(
        f"/orders/{order_id}/refund?lang=en", data={"refund_type": "not_received"}, headers=htmx_headers()
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"].endswith("/refund/reason")
    response = journey.post(
        f"/orders/{order_id}/refund/reason?lang=en",
        data={"reason": "Not received", "amount": "75.00"},
        headers=htmx_headers(),
    )
    assert response.headers["HX-Redirect"].endswith("/refund/evidence")

    response = journey.upload(order_id, CARD_ITEM, jpeg(), headers=htmx_headers())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="item-{CARD_ITEM}-body"' in body and "<img" in body and "/thumb" in body

    key = journey.idempotency_key(order_id)
    response = journey.post(
        f"/orders/{order_id}/refund/submit", data={"idempotency_key": key}, headers=htmx_headers()
    )
    case_id = db.session.scalar(select(RefundCase.id).where(RefundCase.order_id == order_id))
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/cases/{case_id}"


def test_the_hint_changes_with_the_type(journey):
    order_id = journey.orders["game_card_unused"]
    hints = {
        t: journey.get(f"/orders/{order_id}/refund?refund_type={t}&lang=en", headers=htmx_headers()).get_data(
            as_text=True
        )
        for t in ("not_received", "invalid", "customer_error")
    }
    assert "top-up failure" in hints["not_received"] and "redemption error" in hints["invalid"]
    assert "Partial refund, amount set by our staff" in hints["customer_error"]
    assert len(set(hints.values())) == 3


def test_show_the_policy_button_without_javascript(journey):
    order_id = journey.orders["game_card_unused"]
    response = journey.post(
        f"/orders/{order_id}/refund?lang=en", data={"refund_type": "invalid", "action": "show_policy"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "redemption error" in html and 'value="invalid"\n             checked' in html


def test_only_types_of_the_category_are_offered_and_unavailable_ones_say_why(journey):
    html = journey.get(f"/orders/{journey.orders['software_unactivated_3d']}/refund?lang=en").get_data(
        as_text=True
    )
    offered = re.findall(r'name="refund_type" id="type-(\w+)"', html)
    assert offered == ["invalid", "not_as_described", "software_unactivated", "trial_no_reason"]
    assert re.search(r'value="software_unactivated"\s+disabled', html)
    assert "Contract termination is possible once" in html
    card = journey.get(f"/orders/{journey.orders['game_card_unused']}/refund?lang=en").get_data(as_text=True)
    assert "software_unactivated" not in card and "trial_no_reason" not in card


def test_credited_top_up_wizard_offers_nothing(journey):
    html = journey.get(f"/orders/{journey.orders['topup_credited']}/refund?lang=en").get_data(as_text=True)
    assert "This order cannot be refunded." in html and 'value="continue"' not in html


# Bad input: each answers 422 with a clear message, keeps what was entered, and never a 500.


def test_no_type_chosen(journey):
    order_id = journey.orders["game_card_unused"]
    response = journey.post(f"/orders/{order_id}/refund?lang=en", data={})
    assert response.status_code == 422 and "Please choose a refund type." in response.get_data(as_text=True)
    fragment = journey.post(f"/orders/{order_id}/refund?lang=en", data={}, headers=htmx_headers())
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 422 and "<html" not in body and "Please choose a refund type." in body
    assert journey.choose(order_id, "no_such_type").status_code == 422
    assert journey.choose(order_id, "trial_no_reason").status_code == 422  # not a game-card type


def test_type_not_eligible_now(journey):
    response = journey.choose(journey.orders["software_unactivated_3d"], "software_unactivated")
    assert response.status_code == 422 and "Contract termination is possible once" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Please describe the problem."),
        ("   ", "Please describe the problem."),
        ("长" * 501, "at most 500"),
    ],
)
def test_empty_or_over_long_reason(journey, reason, message):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    response = journey.describe(order_id, reason, "60.00")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("Please keep it to 500 characters (now 501)." if reason.startswith("长") else message) in html
    assert 'value="60.00"' in html  # the amount entered is kept
    if reason.startswith("长"):
        assert "长" * 501 in html


def test_amount_above_the_cap_keeps_the_reason(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    response = journey.describe(order_id, "Never arrived", "75.01")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "The amount cannot exceed ¥75.00" in html
    assert "Never arrived" in html and 'value="75.01"' in html
    zh = journey.post(
        f"/orders/{order_id}/refund/reason?lang=zh_CN", data={"reason": "未到账", "amount": "80"}
    )
    zh_html = zh.get_data(as_text=True)
    assert zh.status_code == 422 and "金额不能超过¥75.00：" in zh_html and "未到账" in zh_html
    assert journey.describe(order_id, "Never arrived", "0").status_code == 422
    bad = journey.describe(order_id, "Never arrived", "12,5")
    assert bad.status_code == 422 and "for example 12.50" in bad.get_data(as_text=True)
    assert journey.describe(order_id, "Never arrived", "12.345").status_code == 422


def test_amount_editable_downwards(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    assert journey.describe(order_id, "Never arrived", "¥50.5").status_code == 303
    assert db.session.scalar(select(RefundDraft.amount_fen)) == 5050


def test_staff_decided_partial_refund_allows_up_to_the_cap(journey):
    order_id = journey.orders["game_card_wrong_account"]
    journey.choose(order_id, "customer_error")
    html = journey.get(f"/orders/{order_id}/refund/reason?lang=en").get_data(as_text=True)
    assert "Our staff set the final amount" in html
    assert journey.describe(order_id, "Wrong account", "100.01").status_code == 422
    assert journey.describe(order_id, "Wrong account", "100.00").status_code == 303


def test_steps_out_of_order_send_the_customer_back(journey):
    order_id = journey.orders["game_card_unused"]
    response = journey.get(f"/orders/{order_id}/refund/evidence")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order_id}/refund")
    journey.choose(order_id, "not_received")
    response = journey.get(f"/orders/{order_id}/refund/review")
    assert response.status_code == 303 and response.headers["Location"].endswith("/refund/reason")


def test_double_submit_opens_one_case(journey):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", CARD_ITEM)
    key = journey.idempotency_key(order_id)
    first = journey.post(f"/orders/{order_id}/refund/submit", data={"idempotency_key": key})
    second = journey.post(f"/orders/{order_id}/refund/submit", data={"idempotency_key": key})
    third = journey.post(
        f"/orders/{order_id}/refund/submit", data={"idempotency_key": key}, headers=htmx_headers()
    )
    assert first.headers["Location"] == second.headers["Location"] == third.headers["HX-Redirect"]
    assert db.session.scalar(select(func.count()).select_from(RefundCase)) == 1


def test_once_a_case_is_open_the_wizard_leads_to_it(journey):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", CARD_ITEM)
    journey.post(
        f"/orders/{order_id}/refund/submit", data={"idempotency_key": journey.idempotency_key(order_id)}
    )
    case_id = db.session.scalar(select(RefundCase.id))
    for path in ("", "/reason", "/evidence", "/review"):
        response = journey.get(f"/orders/{order_id}/refund{path}")
        assert response.status_code == 303 and response.headers["Location"] == f"/cases/{case_id}"


def test_submitting_without_required_evidence_is_refused(journey):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", None)
    review = journey.get(f"/orders/{order_id}/refund/review?lang=en").get_data(as_text=True)
    assert "Some required evidence is missing." in review and "Submit refund request" not in review
    key = db.session.scalar(select(RefundDraft.idempotency_key))
    response = journey.post(f"/orders/{order_id}/refund/submit?lang=en", data={"idempotency_key": key})
    assert response.status_code == 422
    assert "Please upload the evidence marked as required" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RefundCase)) == 0


def test_a_stale_or_forged_key_is_refused(journey):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", CARD_ITEM)
    response = journey.post(f"/orders/{order_id}/refund/submit?lang=en", data={"idempotency_key": "0" * 32})
    assert response.status_code == 422 and "out of date" in response.get_data(as_text=True)
    assert journey.post(f"/orders/{order_id}/refund/submit", data={"idempotency_key": "x"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(RefundCase)) == 0


def test_auto_approvable_case_needs_no_evidence(journey):
    order_id = journey.orders["game_card_system_fault"]
    journey.ready_to_submit(order_id, "not_received", None)
    review = journey.get(f"/orders/{order_id}/refund/review?lang=en").get_data(as_text=True)
    assert "none (optional)" in review and "Submit refund request" in review
    response = journey.post(
        f"/orders/{order_id}/refund/submit", data={"idempotency_key": journey.idempotency_key(order_id)}
    )
    assert response.status_code == 303


def test_drafts_survive_leaving_and_coming_back(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    journey.describe(order_id, "Still waiting for the card", "70.00")
    journey.upload(order_id, CARD_ITEM, jpeg(), "proof.jpg")
    journey.get("/orders")  # wander off
    journey.client.cookie_jar if hasattr(journey.client, "cookie_jar") else None
    detail = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert "Your unfinished request is saved" in detail
    step1 = journey.get(f"/orders/{order_id}/refund?lang=en").get_data(as_text=True)
    assert re.search(r'value="not_received"\s+checked', step1) and "top-up failure" in step1
    step2 = journey.get(f"/orders/{order_id}/refund/reason?lang=en").get_data(as_text=True)
    assert "Still waiting for the card" in step2 and 'value="70.00"' in step2
    step3 = journey.get(f"/orders/{order_id}/refund/evidence?lang=en").get_data(as_text=True)
    assert "proof.jpg" in step3


def test_changing_the_type_resets_the_amount_only(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    journey.describe(order_id, "Kept reason", "70.00")
    journey.choose(order_id, "invalid")
    draft = db.session.scalar(select(RefundDraft))
    db.session.refresh(draft)
    assert draft.reason_text == "Kept reason" and draft.amount_fen is None


def test_autosave_keeps_the_reason_while_typing(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    response = journey.post(
        f"/orders/{order_id}/refund/autosave",
        data={"reason": "half a sentence", "amount": "999"},
        headers=htmx_headers(),
    )
    assert response.status_code == 204
    draft = db.session.scalar(select(RefundDraft))
    db.session.refresh(draft)
    assert draft.reason_text == "half a sentence" and draft.amount_fen is None  # 999 is above the cap


def test_another_customers_wizard_and_draft_are_not_found(journey, other_order_id, app):
    from tests.factories import sign_in_customer

    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    journey.describe(order_id)
    journey.upload(order_id, CARD_ITEM, jpeg())
    public_id = db.session.scalar(select(EvidenceFile.public_id))
    for path in ("", "/reason", "/evidence", "/review"):
        assert journey.get(f"/orders/{other_order_id}/refund{path}").status_code == 404
    sign_in_customer(journey.client, app, "+8613900139000")
    for path in ("", "/reason", "/evidence", "/review"):
        assert journey.get(f"/orders/{order_id}/refund{path}").status_code == 404
    assert journey.post(f"/orders/{order_id}/refund", data={"refund_type": "invalid"}).status_code == 404
    assert journey.post(f"/orders/{order_id}/refund/evidence/{public_id}/remove").status_code == 404
    assert journey.get(f"/evidence/{public_id}").status_code == 404
    assert journey.get(f"/evidence/{public_id}/thumb").status_code == 404


def test_apply_for_refund_resumes_at_the_step_left(journey):
    order_id = journey.orders["game_card_system_fault"]
    page = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert f'href="/orders/{order_id}/refund">Choose another refund type<' in page  # beside 一键退款
    journey.choose(order_id, "not_received")
    page = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert f'href="/orders/{order_id}/refund/reason">Continue my request<' in page
    journey.describe(order_id, "卡密一直没有收到。", "100.00")
    page = journey.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert f'href="/orders/{order_id}/refund/evidence">Continue my request<' in page

