"""Risk signals on seeded abusive patterns: each flag is raised at submission and says why."""

from datetime import timedelta

import pytest

from portal.cases import risk
from portal.cases.labels import flag_message
from tests.factories import new_customer, new_order, open_case


@pytest.fixture
def in_english(app, world):
    """The demo world, inside an English request (flag messages are translated)."""
    with app.test_request_context("/?lang=en"):
        yield world


def codes(case) -> list[str]:
    return [f["code"] for f in case.risk_flags]


def test_buy_then_refund_again_and_again(in_english):
    customer = new_customer("+8613600136000")
    cases = [open_case(new_order(customer.id, paid_ago=timedelta(hours=2))) for _ in range(3)]
    assert codes(cases[0]) == [] and codes(cases[1]) == []
    assert codes(cases[2]) == ["quick_refunds"]
    message = flag_message(cases[2].risk_flags[0])
    assert "3 refund requests within 6 hours of purchase in the last 30 days" in message


def test_slow_refunds_are_not_buy_then_refund(in_english):
    customer = new_customer("+8613600136001")
    cases = [open_case(new_order(customer.id, paid_ago=timedelta(days=2))) for _ in range(3)]
    assert codes(cases[2]) == []


def test_many_refunds_from_one_phone(in_english):
    customer = new_customer("+8613600136002")
    # Each order paid from a different card, so that only the phone links them.
    cases = [
        open_case(new_order(customer.id, paid_ago=timedelta(days=3), account=f"card-{i}")) for i in range(5)
    ]
    assert codes(cases[3]) == []
    assert codes(cases[4]) == ["many_refunds_phone"]
    message = flag_message(cases[4].risk_flags[0])
    assert "5 refund requests from phone 136****6002" in message


def test_many_refunds_from_one_payment_account(in_english):
    customers = [new_customer(f"+861350013500{i}") for i in range(5)]
    cases = [
        open_case(new_order(c.id, paid_ago=timedelta(days=3), account="alipay-shared-778899"))
        for c in customers
    ]
    assert codes(cases[3]) == []
    assert codes(cases[4]) == ["many_refunds_account"]
    assert cases[4].risk_flags[0]["params"]["customers"] == 5
    assert "(5 customers)" in flag_message(cases[4].risk_flags[0])


def test_many_refunds_for_one_top_up_number(in_english):
    customers = [new_customer(f"+861340013400{i}") for i in range(5)]
    cases = [
        open_case(
            new_order(c.id, sku="TP-CU-100", paid_ago=timedelta(days=3), recipient="13312345678"),
        )
        for c in customers
    ]
    assert "many_refunds_recipient" in codes(cases[4])
    assert "133****5678" in flag_message(cases[4].risk_flags[-1])


def test_the_same_evidence_file_in_two_cases(in_english):
    a = new_customer("+8613300133001")
    b = new_customer("+8613300133002")
    first = open_case(new_order(a.id, paid_ago=timedelta(days=3)), evidence_sha="b" * 64)
    second = open_case(new_order(b.id, paid_ago=timedelta(days=3)), evidence_sha="b" * 64)
    assert codes(first) == []
    assert codes(second) == ["duplicate_evidence"]
    assert first.number in flag_message(second.risk_flags[0])


def test_refresh_keeps_earlier_flags(in_english):
    customer = new_customer("+8613300133003")
    case = open_case(new_order(customer.id, paid_ago=timedelta(days=3)))
    case.risk_flags = [{"code": "quick_refunds", "params": {"count": 3, "hours": 6, "days": 30}}]
    assert codes(case) == ["quick_refunds"]
    risk.refresh_flags(case)
    assert codes(case) == ["quick_refunds"]


def test_mask():
    assert risk.mask("+8613800138000") == "138****8000"
    assert risk.mask("alipay-000001") == "ali****0001"
    assert risk.mask("12345") == "12****"
