"""One row per demo situation: the badge on 我的订单, the order page's verdict and the wizard's offered types
with their amounts, in zh_CN and en — each row with the rule it comes from (category.type, usage: method)."""

import re
from dataclasses import dataclass, field

import pytest

from portal.demo.situations import SITUATIONS
from portal.extensions import db
from portal.orders.kinds import Usage
from portal.orders.models import Order
from portal.policy.defaults import default_ruleset
from portal.policy.kinds import AmountMethod, RefundType

T = RefundType


@dataclass(frozen=True)
class Row:
    key: str
    rule: tuple[str, RefundType, Usage, AmountMethod] | None  # the rule behind the best offer
    badge: tuple[str, str]  # en, zh_CN ("" when the order shows no badge: its status says 已退款)
    verdict: tuple[str, str]  # on the order page
    offered: dict[RefundType, str | None] = field(default_factory=dict)  # type → "¥x" offered, None refused


NOT = ("Not refundable", "不可退款")
CARD_TYPES = (T.NOT_RECEIVED, T.INVALID, T.NOT_AS_DESCRIBED, T.CUSTOMER_ERROR)


def full(amount: str, *types: RefundType) -> dict[RefundType, str | None]:
    return dict.fromkeys(types, amount)


ROWS = [
    Row(
        "game_card_system_fault",
        ("game_card", T.NOT_RECEIVED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥100.00", "最多可退 ¥100.00"),
        ("You can ask for a refund of up to ¥100.00.", "最多可申请退款 ¥100.00。"),
        full("¥100.00", *CARD_TYPES),
    ),
    Row(
        "game_card_stock_error",
        ("game_card", T.NOT_RECEIVED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥50.00", "最多可退 ¥50.00"),
        ("You can ask for a refund of up to ¥50.00.", "最多可申请退款 ¥50.00。"),
        full("¥50.00", *CARD_TYPES),
    ),
    Row(
        "game_card_unused",
        ("game_card", T.NOT_RECEIVED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥75.00", "最多可退 ¥75.00"),
        ("You can ask for a refund of up to ¥75.00.", "最多可申请退款 ¥75.00。"),
        full("¥75.00", *CARD_TYPES),
    ),
    Row(  # credited to the account the customer typed: only 操作失误, a partial refund staff set
        "game_card_wrong_account",
        ("game_card", T.CUSTOMER_ERROR, Usage.UNUSED, AmountMethod.STAFF_DECIDES),
        ("Partly refundable, up to ¥100.00", "可部分退款，最多 ¥100.00"),
        ("You can ask for a partial refund of up to ¥100.00", "可申请部分退款，最多 ¥100.00"),
        {T.NOT_RECEIVED: None, T.INVALID: None, T.NOT_AS_DESCRIBED: None, T.CUSTOMER_ERROR: "¥100.00"},
    ),
    Row(
        "game_card_green_channel",
        ("game_card", T.NOT_RECEIVED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥688.00", "最多可退 ¥688.00"),
        ("You can ask for a refund of up to ¥688.00.", "最多可申请退款 ¥688.00。"),
        full("¥688.00", *CARD_TYPES),
    ),
    Row(  # 话费充值类商品到账后通常不支持退款
        "topup_credited",
        None,
        NOT,
        ("The top-up has been credited to your account", "充值已到账"),
        {T.NOT_RECEIVED: None},
    ),
    Row(
        "topup_not_credited",
        ("phone_topup", T.NOT_RECEIVED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥99.50", "最多可退 ¥99.50"),
        ("You can ask for a refund of up to ¥99.50.", "最多可申请退款 ¥99.50。"),
        {T.NOT_RECEIVED: "¥99.50"},
    ),
    Row(  # the carrier may still credit it
        "topup_pending",
        None,
        NOT,
        ("The top-up is still being processed.", "充值处理中，结果确认后可申请退款。"),
        {T.NOT_RECEIVED: None},
    ),
    Row(  # day 10 of the product's own 14-day trial; unactivated for over 7 days
        "software_unactivated_10d",
        ("software", T.SOFTWARE_UNACTIVATED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥299.00", "最多可退 ¥299.00"),
        ("You can ask for a refund of up to ¥299.00.", "最多可申请退款 ¥299.00。"),
        full("¥299.00", T.INVALID, T.NOT_AS_DESCRIBED, T.SOFTWARE_UNACTIVATED, T.TRIAL_NO_REASON),
    ),
    Row(  # 3 days: contract termination not yet, the product's 7-day trial still open
        "software_unactivated_3d",
        ("software", T.TRIAL_NO_REASON, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥158.00", "最多可退 ¥158.00"),
        ("You can ask for a refund of up to ¥158.00.", "最多可申请退款 ¥158.00。"),
        {T.INVALID: "¥158.00", T.NOT_AS_DESCRIBED: "¥158.00", T.SOFTWARE_UNACTIVATED: None}
        | {T.TRIAL_NO_REASON: "¥158.00"},
    ),
    Row(
        "software_trial",
        ("software", T.TRIAL_NO_REASON, Usage.ACTIVATED, AmountMethod.FULL),
        ("Refundable up to ¥30.00", "最多可退 ¥30.00"),
        ("You can ask for a refund of up to ¥30.00.", "最多可申请退款 ¥30.00。"),
        {
            T.INVALID: None,
            T.NOT_AS_DESCRIBED: None,
            T.SOFTWARE_UNACTIVATED: None,
            T.TRIAL_NO_REASON: "¥30.00",
        },
    ),
    Row(
        "software_trial_over",
        None,
        NOT,
        ("The trial period has ended.", "试用期已结束"),
        dict.fromkeys((T.INVALID, T.NOT_AS_DESCRIBED, T.SOFTWARE_UNACTIVATED, T.TRIAL_NO_REASON)),
    ),
    Row(
        "game_item_unused",
        ("game_item", T.NOT_RECEIVED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥168.00", "最多可退 ¥168.00"),
        ("You can ask for a refund of up to ¥168.00.", "最多可申请退款 ¥168.00。"),
        full("¥168.00", T.NOT_RECEIVED, T.INVALID, T.NOT_AS_DESCRIBED),
    ),
    Row(  # 40 % used: the unused 60 %
        "game_item_partly_used",
        ("game_item", T.INVALID, Usage.PARTIALLY_USED, AmountMethod.PRO_RATA),
        ("Refundable up to ¥58.80", "最多可退 ¥58.80"),
        ("You can ask for a refund of up to ¥58.80.", "最多可申请退款 ¥58.80。"),
        {T.NOT_RECEIVED: None, T.INVALID: "¥58.80", T.NOT_AS_DESCRIBED: "¥58.80"},
    ),
    Row(  # 已使用但存在功能缺陷: a share, and only with a defect (the 30 % is a platform choice)
        "game_item_used_defective",
        ("game_item", T.INVALID, Usage.USED, AmountMethod.PERCENT),
        ("Only with a defect: up to ¥194.40", "存在功能缺陷时最多可退 ¥194.40"),
        ("If it has one, you can ask for up to ¥194.40.", "如存在功能缺陷，最多可申请退款 ¥194.40。"),
        {T.NOT_RECEIVED: None, T.INVALID: "¥194.40", T.NOT_AS_DESCRIBED: None},
    ),
    Row(
        "offline_transfer",
        ("game_card", T.NOT_RECEIVED, Usage.UNUSED, AmountMethod.FULL),
        ("Refundable up to ¥75.00", "最多可退 ¥75.00"),
        ("You can ask for a refund of up to ¥75.00.", "最多可申请退款 ¥75.00。"),
        full("¥75.00", *CARD_TYPES),
    ),
    Row(  # 20 % used, 50 % refunded before: the unused 80 % less what went back
        "partly_refunded",
        ("game_item", T.INVALID, Usage.PARTIALLY_USED, AmountMethod.PRO_RATA),
        ("Refundable up to ¥29.40", "最多可退 ¥29.40"),
        ("You can ask for a refund of up to ¥29.40.", "最多可申请退款 ¥29.40。"),
        {T.NOT_RECEIVED: None, T.INVALID: "¥29.40", T.NOT_AS_DESCRIBED: "¥29.40"},
    ),
    Row(
        "fully_refunded",
        None,
        ("", ""),
        ("This order has already been fully refunded.", "该订单已全额退款"),
        dict.fromkeys(CARD_TYPES),
    ),
]


def test_every_demo_situation_has_a_row():
    assert [r.key for r in ROWS] == [s.key for s in SITUATIONS]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("row", ROWS, ids=[r.key for r in ROWS])
def test_situation(journey, row):
    if row.rule is not None:  # the rule the offer comes from, as the policy data says it
        category, refund_type, usage, method = row.rule
        rule = default_ruleset().rules[category][refund_type]
        assert rule.amounts[usage].method is method
        assert row.offered[refund_type] is not None
    for i, lang in enumerate(("en", "zh_CN")):
        _check(journey, row, i, lang)


def _check(journey, row: Row, i: int, lang: str) -> None:
    order_id = journey.orders[row.key]
    number = db.session.get(Order, order_id).number
    listing = journey.get(f"/orders?q={number}&lang={lang}").get_data(as_text=True)
    badge_row = _text(listing.split(number, 1)[1].split("</li>", 1)[0])
    if row.badge[i]:
        assert row.badge[i] in badge_row, badge_row
    else:
        assert "refund-badge" not in listing.split(number, 1)[1].split("</li>", 1)[0]
    page = _text(journey.get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True))
    assert row.verdict[i] in page, page
    wizard = journey.get(f"/orders/{order_id}/refund?lang={lang}").get_data(as_text=True)
    for refund_type, amount in row.offered.items():
        choice = wizard.split(f'id="type-{refund_type}"', 1)[1].split("</label>", 1)[0]
        if amount is None:
            assert "disabled" in choice.split(">", 1)[0], refund_type
        else:
            assert "disabled" not in choice.split(">", 1)[0] and amount in choice, (refund_type, choice)
    offered = set(re.findall(r'id="type-([a-z_]+)"', wizard))
    assert offered == {str(t) for t in row.offered}
