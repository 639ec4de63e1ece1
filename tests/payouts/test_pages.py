"""Pages: the customer's refund payment and receiving account, staff's manual payouts (htmx or not)."""

import io

from PIL import Image

from portal.accounts.models import StaffRole
from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.orders.kinds import PaymentRoute
from portal.orders.models import Order
from portal.payouts import services
from portal.payouts.models import ManualTransfer, Payout
from portal.payouts.receiving import luhn_ok
from portal.payouts.states import PayoutState, SuccessSource
from tests.conftest import htmx_headers
from tests.factories import (
    approve,
    approved_payout,
    count,
    fresh,
    make_case,
    make_order,
    new_staff,
    sign_in_customer,
    sign_in_staff,
)
from tests.payouts.support import deliver, settings

CARD = next(f"622202123456789012{d}" for d in range(10) if luhn_ok(f"622202123456789012{d}"))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _offline_case(app):
    with app.app_context():
        order = make_order(PaymentRoute.OFFLINE, 4000)
        new_staff("senior", StaffRole.SENIOR)
        new_staff("reviewer", StaffRole.REVIEWER)
        payout = approve(make_case(order))
        return payout.id, payout.case_id


def test_customer_sees_the_payment_live_and_only_their_own(app, gateway, client, run_jobs):
    with app.app_context():
        payout_id = approved_payout(PaymentRoute.WECHAT, 1800)
        case_id = fresh(Payout, payout_id).case_id
    sign_in_customer(client, app)
    page = client.get(f"/payouts/cases/{case_id}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Refund executing" in html and "¥18.00" in html and 'hx-trigger="every 5s"' in html
    assert "1–5 working days" in html and "1–3" not in html  # the source: 1–5 for every route
    fragment = client.get(f"/payouts/cases/{case_id}?lang=en", headers=htmx_headers())
    assert "<html" not in fragment.get_data(as_text=True) and 'id="payout-live"' in fragment.get_data(
        as_text=True
    )
    run_jobs()
    html = client.get(f"/payouts/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "Expected arrival" in html
    gateway.settle()
    deliver(client, gateway.notifications()[0])
    html = client.get(f"/payouts/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "Refunded" in html and "every 5s" not in html  # polling stops once refunded

    other = app.test_client()
    sign_in_customer(other, app, "+8613900139000")
    assert other.get(f"/payouts/cases/{case_id}").status_code == 404
    assert other.get(f"/payouts/cases/{case_id}/account").status_code == 404
    assert other.post(f"/payouts/cases/{case_id}/arrival", data={"answer": "received"}).status_code == 404
    assert app.test_client().get(f"/payouts/cases/{case_id}").status_code == 302  # sign in first


def test_payout_of_is_available_to_other_pages(app, gateway):
    with app.app_context():
        payout_id = approved_payout(PaymentRoute.BANK_CARD, 900)
        case = fresh(RefundCase, fresh(Payout, payout_id).case_id)
        with app.test_request_context("/?lang=en"):
            pv = app.jinja_env.globals["payout_of"](case)
            assert (pv.status, pv.amount_fen, pv.arrival_days) == ("executing", 900, (1, 5))
            assert "¥9.00" in app.jinja_env.get_template("payouts/_panel.html").render(case=case)


def test_offline_refund_from_account_to_transfer_to_receipt(app, gateway, client):
    payout_id, case_id = _offline_case(app)
    sign_in_customer(client, app)
    html = client.get(f"/payouts/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "Tell us where to send your refund" in html and "Give a receiving account" in html

    bad = {
        "kind": "bank_card",
        "holder": "王先生",
        "number": CARD[:-1] + str((int(CARD[-1]) + 1) % 10),
        "bank": "工商银行",
    }
    response = client.post(f"/payouts/cases/{case_id}/account?lang=en", data=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "not valid" in html and "王先生" in html
    response = client.post(f"/payouts/cases/{case_id}/account?lang=en", data=bad, headers=htmx_headers())
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)

    good = dict(bad, number=" ".join(CARD[i : i + 4] for i in range(0, len(CARD), 4)))
    response = client.post(f"/payouts/cases/{case_id}/account", data=good)
    assert response.status_code == 303
    with app.app_context():
        payout = fresh(Payout, payout_id)
        assert payout.state == PayoutState.MANUAL and payout.receiving_account.account_no == CARD
        assert fresh(RefundCase, case_id).state == CaseState.EXECUTING
    html = client.get(f"/payouts/cases/{case_id}?lang=en").get_data(as_text=True)
    assert f"6222 **** **** {CARD[-4:]}" in html and CARD not in html
    assert "Our staff are transferring your refund" in html

    staff = app.test_client()
    sign_in_staff(staff, app, "senior")
    queue = staff.get("/staff/payouts?lang=en").get_data(as_text=True)
    assert "To pay by hand" in queue and f"6222 **** **** {CARD[-4:]}" in queue and CARD not in queue
    detail = staff.get(f"/staff/payouts/{payout_id}?lang=en").get_data(as_text=True)
    assert CARD in detail  # staff pay to it, so they see it whole
    assert "Receiving account given" in detail.split('id="log-title"')[1]

    response = staff.post(
        f"/staff/payouts/{payout_id}/transfer?lang=en", data={"reference": "ICBC2026112800001"}
    )
    assert response.status_code == 422 and "Attach the proof" in response.get_data(as_text=True)
    junk = {"reference": "ICBC2026112800001", "proof": (io.BytesIO(b"not an image"), "x.png")}
    assert staff.post(f"/staff/payouts/{payout_id}/transfer", data=junk).status_code == 422
    form = {"reference": "ICBC2026112800001", "note": "paid", "proof": (io.BytesIO(_png()), "receipt.png")}
    response = staff.post(
        f"/staff/payouts/{payout_id}/transfer", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    with app.app_context():
        payout = fresh(Payout, payout_id)
        assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.MANUAL
        assert payout.transfer.reference == "ICBC2026112800001"
        assert payout.transfer.paid_to == f"bank_card {CARD} 王先生 工商银行"  # kept even if changed later
        assert fresh(RefundCase, case_id).state == CaseState.REFUNDED
        assert fresh(Order, payout.order_id).refunded_fen == 4000
    again = {"reference": "OTHER", "proof": (io.BytesIO(_png()), "receipt.png")}
    assert staff.post(f"/staff/payouts/{payout_id}/transfer", data=again).status_code == 409
    proof = staff.get(f"/staff/payouts/{payout_id}/proof")
    assert proof.status_code == 200 and proof.mimetype.startswith("image/")
    assert "sandbox" in proof.headers["Content-Security-Policy"]

    # The customer can no longer change the account, and says the money did not arrive.
    assert client.post(f"/payouts/cases/{case_id}/account", data=good).status_code == 303
    response = client.post(
        f"/payouts/cases/{case_id}/arrival", data={"answer": "not_arrived", "note": "checked today"}
    )
    assert response.status_code == 303
    queue = staff.get("/staff/payouts?lang=en").get_data(as_text=True)
    assert "did not arrive" in queue and "ICBC" not in queue
    assert staff.post(f"/staff/payouts/{payout_id}/resolve", data={"note": ""}).status_code == 422
    response = staff.post(
        f"/staff/payouts/{payout_id}/resolve", data={"note": "bank delay, arrived"}, headers=htmx_headers()
    )
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    response = client.post(
        f"/payouts/cases/{case_id}/arrival", data={"answer": "received"}, headers=htmx_headers()
    )
    assert response.headers.get("HX-Redirect")
    with app.app_context():
        assert fresh(Payout, payout_id).arrival_status == "confirmed"
        actions = [e.action for e in fresh(RefundCase, case_id).events]
    assert actions[-3:] == ["refund_not_arrived", "refund_arrival_resolved", "refund_received"]
    assert client.post(f"/payouts/cases/{case_id}/arrival", data={"answer": "received"}).status_code == 409
    assert client.post(f"/payouts/cases/{case_id}/arrival", data={"answer": "maybe"}).status_code == 422


def test_staff_pages_need_the_senior_role(app, gateway):
    payout_id, _ = _offline_case(app)
    reviewer = app.test_client()
    sign_in_staff(reviewer, app, "reviewer")
    assert reviewer.get("/staff/payouts").status_code == 403
    assert reviewer.get(f"/staff/payouts/{payout_id}").status_code == 403
    assert reviewer.post(f"/staff/payouts/{payout_id}/retry").status_code == 403
    customer = app.test_client()
    sign_in_customer(customer, app)
    assert customer.get("/staff/payouts").status_code == 403
    senior = app.test_client()
    sign_in_staff(senior, app, "senior")
    assert senior.get("/staff/payouts/9999").status_code == 404
    page = senior.get(f"/staff/payouts/{payout_id}?lang=en").get_data(as_text=True)
    assert "Waiting for the customer to give a receiving account" in page
    assert (
        senior.post(
            f"/staff/payouts/{payout_id}/transfer",
            data={"reference": "X", "proof": (io.BytesIO(_png()), "r.png")},
        ).status_code
        == 422
    )


def _manual_gateway_payout(app, gateway, client, run_jobs):
    with app.app_context():
        new_staff("senior", StaffRole.SENIOR)
        payout_id = approved_payout(PaymentRoute.ALIPAY, 2000)
    run_jobs()
    for _ in range(3):
        gateway.settle(success=False)
        deliver(client, gateway.notifications()[-1])
        with app.app_context():
            payout = fresh(Payout, payout_id)
            if payout.state == PayoutState.FAILED:
                services.poll(settings(), now=payout.next_attempt_at)
    with app.app_context():
        assert fresh(Payout, payout_id).state == PayoutState.MANUAL
    return payout_id


def test_manual_gateway_payout_sent_again_by_staff(app, gateway, client, run_jobs):
    payout_id = _manual_gateway_payout(app, gateway, client, run_jobs)
    staff = app.test_client()
    sign_in_staff(staff, app, "senior")
    assert "Send again through the gateway" in staff.get(f"/staff/payouts/{payout_id}?lang=en").get_data(
        as_text=True
    )
    assert (
        staff.post(
            f"/staff/payouts/{payout_id}/retry", data={"note": "customer fixed the account"}
        ).status_code
        == 303
    )
    with app.app_context():
        payout = fresh(Payout, payout_id)
        assert (payout.state, payout.failures) == (PayoutState.RETRIED, 0)
        assert fresh(RefundCase, payout.case_id).state == CaseState.EXECUTING
    run_jobs()
    gateway.settle()
    deliver(client, gateway.notifications()[-1])
    with app.app_context():
        payout = fresh(Payout, payout_id)
        assert payout.state == PayoutState.SUCCEEDED
        assert fresh(RefundCase, payout.case_id).state == CaseState.REFUNDED
        assert fresh(Order, payout.order_id).refunded_fen == 2000
        request_no = payout.request_no
    assert {s["request_no"] for s in gateway.submissions()} == {request_no}


def test_manual_gateway_payout_paid_by_hand_only_when_the_gateway_says_failed(app, gateway, client, run_jobs):
    payout_id = _manual_gateway_payout(app, gateway, client, run_jobs)
    staff = app.test_client()
    sign_in_staff(staff, app, "senior")
    with app.app_context():
        payout = fresh(Payout, payout_id)
        # Pretend the gateway is still working on it (e.g. a late retry of ours reached it).
        gateway.state.ledger.submit("alipay", payout.request_no, payout.order.number, 2000, 2000)
    form = {"reference": "ALI-MANUAL-1", "proof": (io.BytesIO(_png()), "r.png")}
    response = staff.post(f"/staff/payouts/{payout_id}/transfer?lang=en", data=form)
    assert response.status_code == 409 and "could pay twice" in response.get_data(as_text=True)
    gateway.settle(success=False)
    form = {"reference": "ALI-MANUAL-1", "proof": (io.BytesIO(_png()), "r.png")}
    assert staff.post(f"/staff/payouts/{payout_id}/transfer", data=form).status_code == 303
    with app.app_context():
        payout = fresh(Payout, payout_id)
        assert payout.state == PayoutState.SUCCEEDED and count(ManualTransfer) == 1
        assert fresh(RefundCase, payout.case_id).state == CaseState.REFUNDED


def test_gateway_paid_after_manual_handling_is_closed_not_paid_again(app, gateway, client, run_jobs):
    payout_id = _manual_gateway_payout(app, gateway, client, run_jobs)
    staff = app.test_client()
    sign_in_staff(staff, app, "senior")
    with app.app_context():
        payout = fresh(Payout, payout_id)
        gateway.state.ledger.submit("alipay", payout.request_no, payout.order.number, 2000, 2000)
    gateway.settle(success=True)
    form = {"reference": "ALI-MANUAL-2", "proof": (io.BytesIO(_png()), "r.png")}
    response = staff.post(f"/staff/payouts/{payout_id}/transfer?lang=en", data=form)
    assert response.status_code == 409 and "do not pay it by hand" in response.get_data(as_text=True)
    with app.app_context():
        payout = fresh(Payout, payout_id)
        assert payout.state == PayoutState.SUCCEEDED and payout.success_source == SuccessSource.QUERY
        assert fresh(RefundCase, payout.case_id).state == CaseState.MANUAL
        assert fresh(Order, payout.order_id).refunded_fen == 2000
    queue = staff.get("/staff/payouts?lang=en").get_data(as_text=True)
    section = queue.split("Paid by the gateway after manual handling began")[1].split("</section>")[0]
    assert f"/staff/payouts/{payout_id}" in section
    assert "close the case as refunded" in staff.get(f"/staff/payouts/{payout_id}?lang=en").get_data(
        as_text=True
    )
    assert staff.post(f"/staff/payouts/{payout_id}/close").status_code == 303
    with app.app_context():
        assert fresh(RefundCase, fresh(Payout, payout_id).case_id).state == CaseState.REFUNDED
        assert count(ManualTransfer) == 0
    assert staff.post(f"/staff/payouts/{payout_id}/query", headers=htmx_headers()).status_code == 200
