"""The order ledger: what an order can still give back, and every kind of amount taken from it."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, Usage
from portal.orders.ledger import Ledger, OverRefund, percent_fen, share_fen
from portal.policy.defaults import default_ruleset
from portal.policy.engine import OrderFacts, assess, max_request_fen, validate_amount
from portal.policy.kinds import AmountMethod, RefundType

NOW = datetime(2026, 12, 1, 8, 0, 0)
RULES = default_ruleset()


def test_remaining_is_paid_less_refunded_less_reserved():
    ledger = Ledger(paid_fen=10000, refunded_fen=3000, reserved_fen=2000)
    assert ledger.remaining_fen == 5000
    assert Ledger(10000, 10000).remaining_fen == 0 and Ledger(10000, 10000).fully_refunded
    assert Ledger(100, 60, 60).remaining_fen == 0  # never negative


def test_a_grant_counts_what_already_went_back_or_is_claimed():
    ledger = Ledger(paid_fen=64800, refunded_fen=10000)
    assert ledger.entitled(percent_fen(64800, 30)) == 19440 - 10000
    assert ledger.entitled(64800) == 54800  # a full grant is what remains
    assert Ledger(64800, 20000).entitled(19440) == 0  # the grant was used up


def test_check_names_what_remains():
    with pytest.raises(OverRefund) as caught:
        Ledger(1000, 400, 100).check(501)
    assert caught.value.remaining_fen == 500
    Ledger(1000, 400, 100).check(500)


def test_amounts_must_not_be_negative():
    with pytest.raises(ValueError):
        Ledger(100, -1)


def test_shares_round_down_to_the_fen():
    assert share_fen(999, 333) == 332
    assert percent_fen(19440, 30) == 5832
    with pytest.raises(ValueError):
        percent_fen(100, 101)


@given(
    paid=st.integers(0, 10_000_000),
    refunded=st.integers(0, 10_000_000),
    reserved=st.integers(0, 10_000_000),
    grant=st.integers(0, 10_000_000),
)
def test_a_grant_never_exceeds_what_remains_nor_itself(paid, refunded, reserved, grant):
    ledger = Ledger(paid, refunded, reserved)
    given_now = ledger.entitled(grant)
    assert 0 <= given_now <= ledger.remaining_fen
    assert refunded + reserved + given_now <= max(paid, refunded + reserved)
    assert given_now <= max(0, grant - refunded - reserved)


# --- every amount method, against the ledger -------------------------------------------------------


def item(**kw) -> OrderFacts:
    base = dict(
        category=Category.GAME_ITEM,
        amount_fen=9800,
        refunded_fen=0,
        paid_at=NOW - timedelta(days=8),
        fulfilment=Fulfilment.CREDITED,
        usage=Usage.PARTIALLY_USED,
        delivery_status=DeliveryStatus.DELIVERED,
        used_permille=200,
    )
    return OrderFacts(**(base | kw))


def test_pro_rata_after_half_refunded_leaves_only_the_unused_share_less_what_went_back():
    # 20 % used, 50 % already refunded: pro rata grants 80 % in all, so 30 % is left (¥29.40 of ¥98).
    a = assess(item(refunded_fen=4900), RefundType.INVALID, RULES, NOW)
    assert a.method is AmountMethod.PRO_RATA and a.suggested_fen == 2940
    assert max_request_fen(a) == 2940
    assert validate_amount(a, 2941) == "amount_over_suggested"


def test_percentage_after_a_partial_refund_gives_only_what_remains_of_the_percentage():
    # A used item's 30 % grant on ¥648 is ¥194.40; after ¥100 went back, ¥94.40 remains of it.
    a = assess(
        item(amount_fen=64800, usage=Usage.USED, used_permille=1000, refunded_fen=10000),
        RefundType.INVALID,
        RULES,
        NOW,
    )
    assert a.method is AmountMethod.PERCENT and a.suggested_fen == 9440


def test_full_refund_is_what_remains_and_reserved_claims_count():
    card = OrderFacts(
        category=Category.GAME_CARD,
        amount_fen=10000,
        refunded_fen=2500,
        reserved_fen=1500,
        paid_at=NOW - timedelta(days=1),
        fulfilment=Fulfilment.SHIPPED,
        usage=Usage.UNUSED,
        delivery_status=DeliveryStatus.SYSTEM_FAULT,
    )
    a = assess(card, RefundType.NOT_RECEIVED, RULES, NOW)
    assert a.suggested_fen == a.cap_fen == 6000
    assert validate_amount(a, 6001) == "amount_over_cap"


def test_staff_decided_partial_may_ask_for_what_remains():
    card = OrderFacts(
        category=Category.GAME_CARD,
        amount_fen=10000,
        refunded_fen=4000,
        paid_at=NOW - timedelta(days=1),
        fulfilment=Fulfilment.COMPLETED,
        usage=Usage.UNUSED,
        delivery_status=DeliveryStatus.DELIVERED,
    )
    a = assess(card, RefundType.CUSTOMER_ERROR, RULES, NOW)
    assert a.method is AmountMethod.STAFF_DECIDES and max_request_fen(a) == 6000
    assert validate_amount(a, 6000) is None and validate_amount(a, 6001) == "amount_over_cap"
