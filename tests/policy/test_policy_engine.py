"""Unit tests of the refund policy engine against the source's rule table (docs/policy.md) and its edges."""

import copy
import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, Usage
from portal.policy.defaults import DEFAULT_RULES, DEFAULT_SUMMARIES, DEFAULT_TEXTS, default_ruleset
from portal.policy.engine import OrderFacts, assess, offered_types, validate_amount, verdict
from portal.policy.kinds import AmountMethod, RefundType
from portal.policy.labels import AMOUNT_ERRORS, REASON_MESSAGES, REFUND_TYPE_LABELS, reason_message
from portal.policy.rules import RuleSet

NOW = datetime(2026, 11, 28, 4, 0, 0)
RULES = default_ruleset()
T = RefundType


def facts(category: Category = Category.GAME_CARD, **kw) -> OrderFacts:
    base = dict(
        category=category,
        amount_fen=10000,
        refunded_fen=0,
        paid_at=NOW - timedelta(days=1),
        fulfilment=Fulfilment.COMPLETED,
        usage=Usage.UNUSED,
        delivery_status=DeliveryStatus.DELIVERED,
    )
    base.update(kw)
    return OrderFacts(**base)


# --- game card -------------------------------------------------------------------------------------


def test_game_card_not_received_platform_fault_is_full_and_automatic():
    a = assess(facts(delivery_status=DeliveryStatus.SYSTEM_FAULT), T.NOT_RECEIVED, RULES, NOW)
    assert a.eligible and a.reason_code == "ok"
    assert a.method is AmountMethod.FULL and a.suggested_fen == 10000 == a.cap_fen
    assert a.auto_approvable
    assert a.clause == "game_card.not_received"


def test_game_card_stock_error_invalid_is_automatic():
    a = assess(facts(delivery_status=DeliveryStatus.STOCK_ERROR), T.INVALID, RULES, NOW)
    assert a.eligible and a.auto_approvable and a.suggested_fen == 10000


def test_auto_approvable_relaxes_evidence_to_optional():
    a = assess(facts(delivery_status=DeliveryStatus.SYSTEM_FAULT), T.NOT_RECEIVED, RULES, NOW)
    assert [i.key for i in a.checklist] == ["topup_failure_screenshot"]
    assert not any(i.required for i in a.checklist)


def test_game_card_not_received_without_platform_record_needs_review_and_evidence():
    a = assess(facts(), T.NOT_RECEIVED, RULES, NOW)
    assert a.eligible and not a.auto_approvable
    item = a.checklist[0]
    assert item.key == "topup_failure_screenshot" and item.required and item.kinds == ("image",)
    assert a.review_working_days == 1


def test_game_card_used_cannot_claim_not_received():
    a = assess(facts(usage=Usage.USED), T.NOT_RECEIVED, RULES, NOW)
    assert not a.eligible and a.reason_code == "already_used" and a.suggested_fen == 0


def test_abnormal_order_passes_the_usage_gate():
    a = assess(facts(usage=Usage.ACTIVATED, abnormal=True), T.INVALID, RULES, NOW)
    assert a.eligible and a.method is AmountMethod.FULL
    assert not a.auto_approvable  # flagged abnormal, but no platform delivery record proves it


def test_game_card_customer_error_is_partial_staff_decides_with_evidence():
    a = assess(facts(), T.CUSTOMER_ERROR, RULES, NOW)
    assert a.eligible and a.method is AmountMethod.STAFF_DECIDES
    assert a.suggested_fen == 10000 and not a.auto_approvable
    required = [i.key for i in a.checklist if i.required]
    assert required == ["wrong_account_screenshot", "correct_account_proof"]


def test_customer_error_never_auto_even_with_platform_fault():
    a = assess(facts(delivery_status=DeliveryStatus.SYSTEM_FAULT), T.CUSTOMER_ERROR, RULES, NOW)
    assert a.eligible and not a.auto_approvable


# --- phone top-up ----------------------------------------------------------------------------------


def test_phone_topup_credited_is_not_refundable():
    f = facts(Category.PHONE_TOPUP, fulfilment=Fulfilment.CREDITED)
    a = assess(f, T.NOT_RECEIVED, RULES, NOW)
    assert not a.eligible and a.reason_code == "topup_credited"
    v = verdict(f, RULES, NOW)
    assert v.state == "not_refundable" and v.reason_code == "topup_credited"


def test_phone_topup_not_credited_is_full_and_automatic():
    f = facts(
        Category.PHONE_TOPUP, fulfilment=Fulfilment.SHIPPED, delivery_status=DeliveryStatus.NOT_CREDITED
    )
    a = assess(f, T.NOT_RECEIVED, RULES, NOW)
    assert a.eligible and a.auto_approvable and a.suggested_fen == 10000
    assert a.checklist[0].key == "carrier_arrival_record"


def test_phone_topup_marked_credited_but_carrier_says_not_is_refundable():
    f = facts(
        Category.PHONE_TOPUP, fulfilment=Fulfilment.CREDITED, delivery_status=DeliveryStatus.NOT_CREDITED
    )
    assert assess(f, T.NOT_RECEIVED, RULES, NOW).eligible


def test_phone_topup_pending_waits_for_the_carriers_result():
    f = facts(Category.PHONE_TOPUP, fulfilment=Fulfilment.SHIPPED, delivery_status=DeliveryStatus.PENDING)
    a = assess(f, T.NOT_RECEIVED, RULES, NOW)
    assert not a.eligible and a.reason_code == "fulfilment_pending"


def test_phone_topup_without_a_platform_record_is_refundable_after_review():
    f = facts(Category.PHONE_TOPUP, fulfilment=Fulfilment.SHIPPED, delivery_status=DeliveryStatus.DELIVERED)
    a = assess(f, T.NOT_RECEIVED, RULES, NOW)
    assert a.eligible and not a.auto_approvable
    assert [i.required for i in a.checklist] == [True, False]


def test_phone_topup_offers_only_not_received():
    assert offered_types(facts(Category.PHONE_TOPUP), RULES, NOW) == [T.NOT_RECEIVED]
    a = assess(facts(Category.PHONE_TOPUP), T.NOT_AS_DESCRIBED, RULES, NOW)
    assert a.reason_code == "type_not_offered"


# --- software --------------------------------------------------------------------------------------


def software(**kw) -> OrderFacts:
    return facts(Category.SOFTWARE, **kw)


def test_software_unactivated_just_under_seven_days_is_too_recent():
    f = software(paid_at=NOW - timedelta(days=6, hours=23))
    a = assess(f, T.SOFTWARE_UNACTIVATED, RULES, NOW)
    assert not a.eligible and a.reason_code == "software_too_recent"
    assert a.eligible_from == f.paid_at + timedelta(days=7)


def test_software_unactivated_after_seven_days_is_full_refund():
    f = software(paid_at=NOW - timedelta(days=7, seconds=1))
    a = assess(f, T.SOFTWARE_UNACTIVATED, RULES, NOW)
    assert a.eligible and a.method is AmountMethod.FULL and a.suggested_fen == 10000
    assert {i.key for i in a.checklist} == {"unactivated_account", "login_verification_record"}


def test_software_unactivated_exactly_seven_days_counts():
    assert assess(software(paid_at=NOW - timedelta(days=7)), T.SOFTWARE_UNACTIVATED, RULES, NOW).eligible


def test_software_activated_cannot_terminate_for_non_activation():
    f = software(paid_at=NOW - timedelta(days=30), activated_at=NOW - timedelta(days=29))
    assert assess(f, T.SOFTWARE_UNACTIVATED, RULES, NOW).reason_code == "software_activated"


def test_software_used_without_activation_record_cannot_terminate():
    f = software(paid_at=NOW - timedelta(days=30), last_used_at=NOW - timedelta(days=2))
    assert assess(f, T.SOFTWARE_UNACTIVATED, RULES, NOW).reason_code == "software_activated"


def test_trial_refund_just_before_explicit_end_even_when_used():
    end = NOW + timedelta(seconds=1)
    f = software(usage=Usage.USED, activated_at=NOW - timedelta(hours=5), trial_ends_at=end)
    a = assess(f, T.TRIAL_NO_REASON, RULES, NOW)
    assert a.eligible and a.suggested_fen == 10000 and a.checklist == ()
    assert a.deadline == end


def test_trial_refund_at_and_after_explicit_end_is_refused():
    f = software(usage=Usage.USED, trial_ends_at=NOW)
    assert assess(f, T.TRIAL_NO_REASON, RULES, NOW).reason_code == "trial_over"
    f = replace(f, trial_ends_at=NOW - timedelta(minutes=1))
    assert assess(f, T.TRIAL_NO_REASON, RULES, NOW).reason_code == "trial_over"


def test_trial_window_from_paid_at_when_no_explicit_end():
    inside = software(usage=Usage.ACTIVATED, paid_at=NOW - timedelta(days=6, hours=23))
    outside = software(usage=Usage.ACTIVATED, paid_at=NOW - timedelta(days=7))
    assert assess(inside, T.TRIAL_NO_REASON, RULES, NOW).eligible
    assert assess(outside, T.TRIAL_NO_REASON, RULES, NOW).reason_code == "trial_over"


def test_no_trial_when_rules_have_no_default_window():
    d = copy.deepcopy(DEFAULT_RULES)
    del d["categories"]["software"]["trial_no_reason"]["conditions"]["trial_days"]
    a = assess(software(), T.TRIAL_NO_REASON, RuleSet.from_dict(d), NOW)
    assert a.reason_code == "no_trial"


def test_software_activated_after_trial_verdict_says_trial_over():
    f = software(
        usage=Usage.ACTIVATED, activated_at=NOW - timedelta(days=9), paid_at=NOW - timedelta(days=10)
    )
    v = verdict(f, RULES, NOW)
    assert v.state == "not_refundable" and v.reason_code == "trial_over"


# --- game items ------------------------------------------------------------------------------------


def item(**kw) -> OrderFacts:
    return facts(Category.GAME_ITEM, **kw)


def test_game_item_unused_is_full():
    a = assess(item(), T.INVALID, RULES, NOW)
    assert a.eligible and a.method is AmountMethod.FULL and a.suggested_fen == 10000


def test_game_item_partially_used_is_pro_rata_rounded_down():
    f = item(amount_fen=999, usage=Usage.PARTIALLY_USED, used_permille=333)
    a = assess(f, T.INVALID, RULES, NOW)
    assert a.method is AmountMethod.PRO_RATA
    assert a.suggested_fen == 666  # 999 * 667 / 1000 = 666.333 → 666
    assert isinstance(a.suggested_fen, int)


def test_game_item_used_but_defective_is_thirty_percent_rounded_down():
    a = assess(item(amount_fen=1999, usage=Usage.USED), T.INVALID, RULES, NOW)
    assert a.method is AmountMethod.PERCENT and a.suggested_fen == 599  # 599.7 → 599


def test_game_item_used_not_as_described_is_refused():
    assert assess(item(usage=Usage.USED), T.NOT_AS_DESCRIBED, RULES, NOW).reason_code == "already_used"


def test_game_item_fully_consumed_pro_rata_leaves_nothing():
    a = assess(item(usage=Usage.PARTIALLY_USED, used_permille=1000), T.INVALID, RULES, NOW)
    assert not a.eligible and a.reason_code == "nothing_to_refund"


def test_game_item_not_received_is_automatic_on_platform_failure():
    a = assess(item(delivery_status=DeliveryStatus.STOCK_ERROR), T.NOT_RECEIVED, RULES, NOW)
    assert a.eligible and a.auto_approvable


# --- caps, cases, verdicts ---------------------------------------------------------------------------


def test_partly_refunded_order_caps_full_refund():
    a = assess(facts(refunded_fen=3000), T.NOT_RECEIVED, RULES, NOW)
    assert a.cap_fen == 7000 and a.suggested_fen == 7000


def test_partly_refunded_order_counts_the_refund_against_the_pro_rata_grant():
    f = item(usage=Usage.PARTIALLY_USED, used_permille=100, refunded_fen=5000)
    a = assess(f, T.INVALID, RULES, NOW)
    assert a.suggested_fen == 4000  # 9000 unused value in all, 5000 of it already went back


def test_fully_refunded_order():
    f = facts(refunded_fen=10000)
    assert assess(f, T.NOT_RECEIVED, RULES, NOW).reason_code == "fully_refunded"
    v = verdict(f, RULES, NOW)
    assert v.state == "refunded" and v.reason_code == "fully_refunded" and v.max_fen == 0


def test_open_case_blocks_another():
    f = facts(has_open_case=True)
    assert assess(f, T.NOT_RECEIVED, RULES, NOW).reason_code == "case_open"
    assert verdict(f, RULES, NOW).state == "in_progress"


def test_verdict_refundable_takes_the_best_amount():
    f = item(usage=Usage.PARTIALLY_USED, used_permille=250)
    v = verdict(f, RULES, NOW)
    assert v.state == "refundable" and v.max_fen == 7500 and v.best_type in (T.INVALID, T.NOT_AS_DESCRIBED)


def test_verdict_for_used_game_card_is_not_refundable():
    v = verdict(facts(usage=Usage.USED), RULES, NOW)
    assert v.state == "not_refundable" and v.reason_code == "already_used"
    assert "unused" in str(reason_message(v.reason_code))


def test_customer_error_on_abnormal_used_card_is_admitted():
    a = assess(facts(usage=Usage.USED, abnormal=True), T.CUSTOMER_ERROR, RULES, NOW)
    assert a.eligible and a.method is AmountMethod.STAFF_DECIDES


def test_verdict_when_category_has_no_rules():
    rs = RuleSet.from_dict(DEFAULT_RULES | {"categories": {}})
    v = verdict(facts(), rs, NOW)
    assert v.state == "not_refundable" and v.reason_code == "no_refund_types"


def test_disallowed_rule_is_not_offered():
    d = copy.deepcopy(DEFAULT_RULES)
    d["categories"]["game_card"]["invalid"]["allowed"] = False
    rs = RuleSet.from_dict(d)
    assert T.INVALID not in offered_types(facts(), rs, NOW)
    assert assess(facts(), T.INVALID, rs, NOW).reason_code == "type_not_offered"


def test_offered_types_per_category():
    assert offered_types(facts(), RULES, NOW) == [
        T.NOT_RECEIVED,
        T.INVALID,
        T.NOT_AS_DESCRIBED,
        T.CUSTOMER_ERROR,
    ]
    assert offered_types(software(), RULES, NOW) == [
        T.INVALID,
        T.NOT_AS_DESCRIBED,
        T.SOFTWARE_UNACTIVATED,
        T.TRIAL_NO_REASON,
    ]


# --- validate_amount -------------------------------------------------------------------------------


def test_validate_amount_bounds():
    a = assess(item(usage=Usage.USED), T.INVALID, RULES, NOW)  # 30% of 10000
    assert validate_amount(a, 3000) is None
    assert validate_amount(a, 1) is None
    assert validate_amount(a, 0) == "amount_not_positive"
    assert validate_amount(a, -5) == "amount_not_positive"
    assert validate_amount(a, 3001) == "amount_over_suggested"
    assert validate_amount(a, 10001) == "amount_over_cap"


def test_validate_amount_respects_cap_after_partial_refund():
    a = assess(facts(refunded_fen=9000), T.NOT_RECEIVED, RULES, NOW)
    assert validate_amount(a, 1000) is None
    assert validate_amount(a, 1001) == "amount_over_cap"


def test_validate_amount_staff_decides_allows_up_to_cap():
    d = copy.deepcopy(DEFAULT_RULES)
    d["categories"]["game_card"]["customer_error"]["amounts"]["unused"]["percent"] = 50
    a = assess(facts(), T.CUSTOMER_ERROR, RuleSet.from_dict(d), NOW)
    assert a.suggested_fen == 5000
    assert validate_amount(a, 8000) is None
    assert validate_amount(a, 10001) == "amount_over_cap"


def test_validate_amount_on_ineligible_assessment():
    a = assess(facts(has_open_case=True), T.NOT_RECEIVED, RULES, NOW)
    assert validate_amount(a, 100) == "not_eligible"


# --- rules as data -----------------------------------------------------------------------------------


def test_rules_round_trip_through_json():
    d = json.loads(json.dumps(RULES.to_dict()))
    assert RuleSet.from_dict(d) == RULES
    assert RuleSet.from_dict(d).to_dict() == d


@pytest.mark.parametrize(
    "path, value",
    [
        (("categories", "game_item", "invalid", "amounts", "used", "percent"), 101),
        (("categories", "game_item", "invalid", "amounts", "used", "percent"), -1),
        (("categories", "game_item", "invalid", "amounts", "used", "percent"), 30.5),
        (("categories", "software", "software_unactivated", "conditions", "unactivated_days"), -1),
        (("categories", "software", "trial_no_reason", "conditions", "trial_days"), -3),
        (("categories", "game_card", "not_received", "review_working_days"), -1),
        (("review_working_days",), -1),
        (("green_channel_fen",), -100),
        (("green_channel_fen",), True),
        (("categories", "game_card", "not_received", "amounts", "unused", "method"), "double"),
        (("categories", "game_card", "not_received", "auto_approve_statuses"), ["lost"]),
        (("categories", "game_card", "not_received", "evidence"), [{"key": "x", "kinds": ["exe"]}]),
        (("categories", "game_card", "not_received", "allowd"), True),
    ],
)
def test_rules_reject_bad_input(path, value):
    d = copy.deepcopy(DEFAULT_RULES)
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError):
        RuleSet.from_dict(d)


@pytest.mark.parametrize("key", ["review_working_days", "green_channel_fen"])
def test_rules_without_their_numbers_are_refused(key):
    # The numbers live in the policy data only: no second copy in the parser fills a gap.
    d = copy.deepcopy(DEFAULT_RULES)
    del d[key]
    with pytest.raises(ValueError, match=key):
        RuleSet.from_dict(d)


def test_rules_reject_unknown_category_and_type():
    with pytest.raises(ValueError):
        RuleSet.from_dict({"categories": {"jewellery": {}}})
    with pytest.raises(ValueError):
        RuleSet.from_dict(
            {"categories": {"game_card": {"whim": {"amounts": {"unused": {"method": "full"}}}}}}
        )


def test_order_facts_reject_bad_numbers():
    with pytest.raises(ValueError):
        facts(used_permille=1001)
    with pytest.raises(ValueError):
        facts(refunded_fen=-1)


# --- texts and messages ------------------------------------------------------------------------------


def test_default_texts_cover_every_rule_and_checklist_item_in_both_languages():
    for lang in ("zh_CN", "en"):
        assert set(DEFAULT_SUMMARIES[lang]) == {c.value for c in Category}
        for category, by_type in RULES.rules.items():
            assert set(DEFAULT_TEXTS[lang][category.value]) == {t.value for t in by_type}
            for rtype, rule in by_type.items():
                text = DEFAULT_TEXTS[lang][category.value][rtype.value]
                assert text["hint"].strip()
                assert set(text["checklist"]) == {e.key for e in rule.evidence}


def test_every_reason_code_has_a_message_that_renders():
    codes = {"ok", "type_not_offered", "no_refund_types", "fully_refunded", "case_open", "topup_credited"}
    codes |= {"already_used", "software_activated", "software_too_recent", "no_trial", "trial_over"}
    codes |= {"nothing_to_refund", "fulfilment_pending", "finally_decided", "functional_defect"}
    assert codes == set(REASON_MESSAGES)
    assert all(str(m) for m in REASON_MESSAGES.values())
    assert all(str(m) for m in AMOUNT_ERRORS.values())
    assert set(REFUND_TYPE_LABELS) == set(RefundType)
    a = assess(facts(Category.PHONE_TOPUP, fulfilment=Fulfilment.CREDITED), T.NOT_RECEIVED, RULES, NOW)
    assert "credited" in str(reason_message(a.reason_code))
