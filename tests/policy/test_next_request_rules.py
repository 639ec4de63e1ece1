"""What the engine allows next: final decisions close a type, pending top-ups wait, trials need no reason and
last the product's own trial, used items get a share only with a defect; all of it policy data."""

import copy
from datetime import datetime, timedelta

import pytest

from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, Usage
from portal.policy.defaults import DEFAULT_RULES, default_ruleset
from portal.policy.engine import OrderFacts, assess, verdict
from portal.policy.kinds import AmountMethod, RefundType
from portal.policy.rules import RuleSet

NOW = datetime(2026, 12, 1, 8, 0, 0)
RULES = default_ruleset()
T = RefundType


def facts(category: Category, **kw) -> OrderFacts:
    base = dict(
        category=category,
        amount_fen=10000,
        refunded_fen=0,
        paid_at=NOW - timedelta(days=1),
        fulfilment=Fulfilment.COMPLETED,
        usage=Usage.UNUSED,
        delivery_status=DeliveryStatus.DELIVERED,
    )
    return OrderFacts(**(base | kw))


def test_a_final_decision_closes_that_type_only():
    card = facts(Category.GAME_CARD, finally_decided=frozenset({T.NOT_RECEIVED}))
    closed = assess(card, T.NOT_RECEIVED, RULES, NOW)
    assert not closed.eligible and closed.reason_code == "finally_decided"
    assert assess(card, T.INVALID, RULES, NOW).eligible


def test_the_order_says_why_when_every_type_was_decided_for_good():
    topup = facts(
        Category.PHONE_TOPUP,
        fulfilment=Fulfilment.SHIPPED,
        delivery_status=DeliveryStatus.NOT_CREDITED,
        finally_decided=frozenset({T.NOT_RECEIVED}),
    )
    v = verdict(topup, RULES, NOW)
    assert v.state == "not_refundable" and v.reason_code == "finally_decided"


def test_whether_a_final_decision_closes_the_type_is_policy_data():
    data = copy.deepcopy(DEFAULT_RULES) | {"final_decision_closes_type": False}
    rules = RuleSet.from_dict(data)
    card = facts(Category.GAME_CARD, finally_decided=frozenset({T.NOT_RECEIVED}))
    assert assess(card, T.NOT_RECEIVED, rules, NOW).eligible
    assert RuleSet.from_dict(rules.to_dict()) == rules


def test_a_pending_top_up_waits_for_its_result():
    pending = facts(
        Category.PHONE_TOPUP, fulfilment=Fulfilment.SHIPPED, delivery_status=DeliveryStatus.PENDING
    )
    a = assess(pending, T.NOT_RECEIVED, RULES, NOW)
    assert not a.eligible and a.reason_code == "fulfilment_pending"
    assert verdict(pending, RULES, NOW).reason_code == "fulfilment_pending"
    failed = facts(
        Category.PHONE_TOPUP, fulfilment=Fulfilment.SHIPPED, delivery_status=DeliveryStatus.NOT_CREDITED
    )
    assert assess(failed, T.NOT_RECEIVED, RULES, NOW).auto_approvable


def test_trial_refunds_need_no_reason_and_others_do():
    trial = facts(Category.SOFTWARE, usage=Usage.ACTIVATED)
    assert assess(trial, T.TRIAL_NO_REASON, RULES, NOW).reason_required is False
    assert assess(facts(Category.SOFTWARE), T.INVALID, RULES, NOW).reason_required is True


@pytest.mark.parametrize(
    ("product_days", "age_days", "open_"),
    [(14, 10, True), (14, 15, False), (None, 6, True), (None, 8, False), (3, 4, False)],
)
def test_the_trial_is_the_products_own_else_the_policy_default(product_days, age_days, open_):
    order = facts(
        Category.SOFTWARE,
        usage=Usage.ACTIVATED,
        paid_at=NOW - timedelta(days=age_days),
        product_trial_days=product_days,
    )
    a = assess(order, T.TRIAL_NO_REASON, RULES, NOW)
    assert a.eligible is open_
    if not open_:
        assert a.reason_code == "trial_over"


def test_a_used_item_gets_its_share_only_with_a_defect():
    used = facts(Category.GAME_ITEM, amount_fen=64800, usage=Usage.USED, used_permille=1000)
    a = assess(used, T.INVALID, RULES, NOW)
    assert a.eligible and a.method is AmountMethod.PERCENT and a.condition == "functional_defect"
    v = verdict(used, RULES, NOW)
    assert (v.state, v.reason_code, v.max_fen) == ("conditional", "functional_defect", 19440)
    unused = verdict(facts(Category.GAME_ITEM), RULES, NOW)
    assert unused.state == "refundable" and unused.method is AmountMethod.FULL


def test_a_card_credited_to_an_account_is_only_a_customer_mistake():
    credited = facts(Category.GAME_CARD, fulfilment=Fulfilment.CREDITED)
    assert assess(credited, T.NOT_RECEIVED, RULES, NOW).reason_code == "topup_credited"
    v = verdict(credited, RULES, NOW)
    assert (
        v.state == "refundable" and v.best_type is T.CUSTOMER_ERROR and v.method is AmountMethod.STAFF_DECIDES
    )


def test_new_policy_keys_are_validated():
    bad_condition = copy.deepcopy(DEFAULT_RULES)
    bad_condition["categories"]["game_item"]["invalid"]["amounts"]["used"]["condition"] = "looks_sad"
    with pytest.raises(ValueError, match="condition"):
        RuleSet.from_dict(bad_condition)
    with pytest.raises(ValueError, match="platform_choices"):
        RuleSet.from_dict(DEFAULT_RULES | {"platform_choices": {"green_channel_fen": " "}})
    assert RuleSet.from_dict(RULES.to_dict()) == RULES


def test_every_platform_choice_names_its_reason():
    assert set(RULES.platform_choices) >= {
        "green_channel_fen",
        "game_item.invalid.amounts.used.percent",
        "software.trial_no_reason.conditions.trial_days",
    }
    assert all(len(reason) > 40 for reason in RULES.platform_choices.values())
