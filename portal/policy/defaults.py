"""Default refund rules and texts: the source's rule table (docs/policy.md); the first stored policy version.

Numbers the source does not give are the platform's choices, each named with its reason in "platform_choices".
"""

from __future__ import annotations

from typing import Any

from portal.policy.rules import RuleSet

_PLATFORM_FAULTS = ["stock_error", "system_fault"]
_FULL = {"method": "full"}


def _ev(key: str, required: bool = True, kinds: tuple[str, ...] = ("image",)) -> dict[str, Any]:
    return {"key": key, "required": required, "kinds": list(kinds)}


_IMG_PDF = ("image", "pdf")

DEFAULT_RULES: dict[str, Any] = {
    "schema": 1,
    "green_channel_fen": 50000,  # ¥500: high-value cases go first
    "review_working_days": 3,
    "final_decision_closes_type": True,
    # What reaches the customer's phone (SMS, or a push for APP users); everything else is 站内信 only.
    "phone_news": {
        "events": [
            "submitted",
            "more_evidence",
            "approved",
            "approved_partial",
            "approved_offline",
            "approved_partial_offline",
            "rejected",
            "executing",
            "refunded",
            "payout_account_needed",
            "appeal_approved",
            "appeal_approved_offline",
            "appeal_rejected",
            "appeal_returned",
            "support_reply",
        ],
        "coalesce_seconds": 120,
    },
    # The source's numbers are used as they are (see docs/policy.md); these are the ones it does not give.
    "platform_choices": {
        "phone_news.events": (
            "The source says only that the result (审核结果) is told by 站内信, SMS or APP push. "
            "The platform also texts what the customer must know or act on: the request accepted, "
            "more evidence needed, money sent and arrived, an account needed for an offline refund, "
            "an appeal or customer service answered; every other step is in the 站内信 and on 退款进度."
        ),
        "phone_news.coalesce_seconds": (
            "The source gives no rule for news that follows quickly (an automatic approval, then the "
            "payout); SMS and pushes for one case wait 120 seconds, and news within that time replaces "
            "the unsent message, which then tells the latest state."
        ),
        "green_channel_fen": (
            "The source names a green channel for high-value orders but no amount; ¥500 puts roughly the "
            "dearest tenth of orders first."
        ),
        "review_working_days (1 for not-received and trial refunds)": (
            "The source gives 1–3 working days for reviews; a missing item or a no-reason trial refund needs "
            "little judgement, so the platform promises the short end."
        ),
        "game_item.invalid.amounts.used.percent": (
            "The source calls for a differentiated share for used items with a functional defect but gives "
            "no figure; 30 % until the operators agree on one."
        ),
        "game_card.customer_error.amounts.unused.percent": (
            "The source says a customer's own mistake gets a partial refund, without a figure; staff set the "
            "amount from the evidence, and 100 % of what remains is only the ceiling."
        ),
        "arbitration outcome expected within 10 working days": (
            "The source sends unclear cases to third-party arbitration without a time; the customer is shown "
            "when to expect the outcome, and staff see the case as late after it."
        ),
        "evidence requested: 3 working days to add it": (
            "The source asks for complete evidence but gives no time to add more; when it passes, the review "
            "goes on with what was sent."
        ),
        "green channel: reviewed within 1 working day": (
            "The source names a green channel for high-value orders but no time; one working day is the "
            "short end of its 1–3 days (portal/cases/deadlines.py)."
        ),
        "review resumed after the evidence time: at least 1 working day": (
            "The source gives no time for a review that goes on after the customer sent (or did not send) "
            "the evidence asked for; the reviewer gets one more working day when the first deadline passed."
        ),
        "appeal sent back for a new review: 1 working day": (
            "The source says appeals are answered within 24 hours but not how long a new review takes; one "
            "working day keeps the customer's wait close to that promise."
        ),
        "request for priority answered within 24 hours": (
            "The source gives no time for answering a customer's request for the green channel; the same 24 "
            "clock hours as customer service's answers."
        ),
        "software.trial_no_reason.conditions.trial_days": (
            "The source introduces no-reason trial refunds without a length; a product's own trial days "
            "apply, and 7 days when the product names none."
        ),
    },
    "categories": {
        "game_card": {
            "not_received": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "conditions": {"refuse_if_credited": True},
                "open_on_failure": True,
                "auto_approve_statuses": _PLATFORM_FAULTS,
                "evidence": [_ev("topup_failure_screenshot")],
                "review_working_days": 1,
            },
            "invalid": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "conditions": {"refuse_if_credited": True},
                "auto_approve_statuses": _PLATFORM_FAULTS,
                "evidence": [_ev("card_error_screenshot")],
            },
            "not_as_described": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "conditions": {"refuse_if_credited": True},
                "evidence": [_ev("description_comparison", kinds=_IMG_PDF)],
            },
            "customer_error": {
                # Partial refund that staff set; the suggestion is only the ceiling. The source's gate
                # (unused or abnormal orders only) applies; editors may add "used" to admit cards redeemed
                # elsewhere.
                "allowed": True,
                "amounts": {"unused": {"method": "staff_decides", "percent": 100}},
                "evidence": [
                    _ev("wrong_account_screenshot"),
                    _ev("correct_account_proof", kinds=_IMG_PDF),
                    _ev("recovery_record", required=False, kinds=_IMG_PDF),
                ],
            },
        },
        "phone_topup": {
            "not_received": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "conditions": {"refuse_if_credited": True, "refuse_while_pending": True},
                "open_on_failure": True,
                "auto_approve_statuses": ["not_credited", *_PLATFORM_FAULTS],
                "evidence": [
                    _ev("carrier_arrival_record", kinds=_IMG_PDF),
                    _ev("payment_record", required=False, kinds=_IMG_PDF),
                ],
                "review_working_days": 1,
            },
        },
        "software": {
            "software_unactivated": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "conditions": {"unactivated_days": 7},
                "evidence": [
                    _ev("unactivated_account"),
                    _ev("login_verification_record", kinds=_IMG_PDF),
                ],
            },
            "trial_no_reason": {
                "allowed": True,
                "amounts": {u: _FULL for u in ("unused", "activated", "partially_used", "used")},
                "conditions": {"trial": True, "trial_days": 7},
                "evidence": [],
                "reason_required": False,
                "review_working_days": 1,
            },
            "invalid": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "evidence": [
                    _ev("error_screenshot"),
                    _ev("login_verification_record", required=False, kinds=_IMG_PDF),
                ],
            },
            "not_as_described": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "evidence": [_ev("description_comparison", kinds=_IMG_PDF)],
            },
        },
        "game_item": {
            "not_received": {
                "allowed": True,
                "amounts": {"unused": _FULL},
                "open_on_failure": True,
                "auto_approve_statuses": _PLATFORM_FAULTS,
                "evidence": [_ev("inventory_screenshot")],
                "review_working_days": 1,
            },
            "invalid": {
                "allowed": True,
                "amounts": {
                    "unused": _FULL,
                    "activated": {"method": "pro_rata"},
                    "partially_used": {"method": "pro_rata"},
                    "used": {"method": "percent", "percent": 30, "condition": "functional_defect"},
                },
                "evidence": [
                    _ev("defect_screenshot", kinds=_IMG_PDF),
                    _ev("usage_record", required=False, kinds=_IMG_PDF),
                ],
            },
            "not_as_described": {
                "allowed": True,
                "amounts": {
                    "unused": _FULL,
                    "activated": {"method": "pro_rata"},
                    "partially_used": {"method": "pro_rata"},
                },
                "evidence": [_ev("description_comparison", kinds=_IMG_PDF)],
            },
        },
    },
}


def _hint(*parts: str) -> str:
    return "\n\n".join(parts)


# Route-neutral: an offline (bank transfer) order is paid by hand to an account the customer gives, so the
# category hints never promise 原路退回; the payout panel names the route of each order.
_ZH_AFTER = "审核通过后24小时内启动退款，一般1-5个工作日到账。"
_EN_AFTER = "Once approved, the refund starts within 24 hours and normally arrives within 1–5 working days."
_ZH_SHOT = "截图需清楚显示订单号、金额和失败提示。"
_EN_SHOT = "Every screenshot should clearly show the order number, the amount and the failure message."

_ZH_COMPARE = "商品详情页的描述与实际收到商品不一致之处的对比截图（或PDF）"
_EN_COMPARE = "Screenshots (or a PDF) comparing the product page with what you actually received"

DEFAULT_TEXTS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "zh_CN": {
        "game_card": {
            "not_received": {
                "hint": _hint(
                    "**适用情况**：点卡未激活使用，因平台系统故障或库存错误导致商品未到账。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：游戏内充值失败的截图。" + _ZH_SHOT,
                    "**处理时间**：平台发货记录显示故障的，几分钟内自动审核通过；其他情况1个工作日内审核。"
                    + _ZH_AFTER,
                ),
                "checklist": {
                    "topup_failure_screenshot": "游戏内充值失败的截图（含订单号、充值金额和失败提示）"
                },
            },
            "invalid": {
                "hint": _hint(
                    "**适用情况**：点卡未使用，但卡密无效、无法兑换（商品失效）。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：兑换点卡时的错误提示截图。" + _ZH_SHOT,
                    "**处理时间**：属平台库存错误或系统故障的立即通过；其他情况1-3个工作日内审核。"
                    + _ZH_AFTER,
                ),
                "checklist": {
                    "card_error_screenshot": "兑换点卡时的错误提示截图（含卡号或订单号、面额和错误提示）"
                },
            },
            "not_as_described": {
                "hint": _hint(
                    "**适用情况**：点卡未使用，且实际商品与详情页描述不符（如面额、区服不一致）。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：详情页描述与实际商品的对比截图。",
                    "**处理时间**：1-3个工作日内审核。" + _ZH_AFTER,
                ),
                "checklist": {"description_comparison": _ZH_COMPARE},
            },
            "customer_error": {
                "hint": _hint(
                    "**适用情况**：因个人操作失误（如错填充值账号）造成损失。",
                    "**可退金额**：部分退款，具体金额由客服根据凭证和追回情况确定，最高不超过实付金额减去已退款金额。",
                    "**需要的凭证**：错填账号的订单截图、本人正确账号的证明；如已联系游戏运营商追回，请一并提供沟通记录。",
                    "**处理时间**：1-3个工作日内审核，责任不明确的可能交由第三方仲裁。" + _ZH_AFTER,
                ),
                "checklist": {
                    "wrong_account_screenshot": "显示错填充值账号的订单截图",
                    "correct_account_proof": "本人正确账号的证明（如账号资料页截图）",
                    "recovery_record": "与游戏运营商沟通追回的记录（如有）",
                },
            },
        },
        "phone_topup": {
            "not_received": {
                "hint": _hint(
                    "**适用情况**：话费充值失败或未到账。话费已到账的订单不支持退款。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：运营商的话费余额或到账查询记录（营业厅APP截图、短信或账单），"
                    "需显示手机号、时间和金额。",
                    "**处理时间**：平台充值记录显示未到账的，几分钟内自动审核通过；其他情况1个工作日内审核。"
                    + _ZH_AFTER,
                ),
                "checklist": {
                    "carrier_arrival_record": "运营商话费余额或到账查询记录（需显示手机号、时间和金额）",
                    "payment_record": "支付记录截图（含订单号和金额，可选）",
                },
            },
        },
        "software": {
            "software_unactivated": {
                "hint": _hint(
                    "**适用情况**：软件未激活，且购买后超过7天无使用记录，可申请解除合同。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：显示软件未激活的账号截图，以及账号的登录验证记录。请勿提供账号密码。",
                    "**处理时间**：1-3个工作日内审核。" + _ZH_AFTER,
                ),
                "checklist": {
                    "unactivated_account": "显示软件未激活状态的账号截图",
                    "login_verification_record": "账号的登录验证记录",
                },
            },
            "trial_no_reason": {
                "hint": _hint(
                    "**适用情况**：在试用期内，无需说明理由即可退款。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：无需凭证。",
                    "**处理时间**：1个工作日内审核。" + _ZH_AFTER,
                ),
                "checklist": {},
            },
            "invalid": {
                "hint": _hint(
                    "**适用情况**：软件未使用，但无法激活或无法正常使用（商品失效）。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：激活或使用失败的错误提示截图；如有，可附上账号的登录验证记录。"
                    + _ZH_SHOT,
                    "**处理时间**：1-3个工作日内审核。" + _ZH_AFTER,
                ),
                "checklist": {
                    "error_screenshot": "激活或使用失败的错误提示截图",
                    "login_verification_record": "账号的登录验证记录（可选）",
                },
            },
            "not_as_described": {
                "hint": _hint(
                    "**适用情况**：软件未使用，且功能、版本或授权与详情页描述不符。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：详情页描述与实际商品的对比截图。",
                    "**处理时间**：1-3个工作日内审核。" + _ZH_AFTER,
                ),
                "checklist": {"description_comparison": _ZH_COMPARE},
            },
        },
        "game_item": {
            "not_received": {
                "hint": _hint(
                    "**适用情况**：道具未到账（背包或邮箱中没有收到）。",
                    "**可退金额**：全额退款（扣除已退款部分）。",
                    "**需要的凭证**：游戏背包或邮箱的截图，需显示订单号和时间。",
                    "**处理时间**：平台发货记录显示故障的，几分钟内自动审核通过；其他情况1个工作日内审核。"
                    + _ZH_AFTER,
                ),
                "checklist": {"inventory_screenshot": "游戏背包或邮箱中未收到道具的截图（含订单号和时间）"},
            },
            "invalid": {
                "hint": _hint(
                    "**适用情况**：道具失效或存在功能缺陷。",
                    "**可退金额**：未使用的全额退款；部分使用的按未使用比例退款；已使用但存在功能缺陷的退还30%。",
                    "**需要的凭证**：显示缺陷或失效提示的截图；如游戏中可查看道具使用记录，请一并提供。",
                    "**处理时间**：1-3个工作日内审核。" + _ZH_AFTER,
                ),
                "checklist": {
                    "defect_screenshot": "显示道具缺陷或失效提示的截图",
                    "usage_record": "道具使用记录（可选）",
                },
            },
            "not_as_described": {
                "hint": _hint(
                    "**适用情况**：道具属性、数量或效果与详情页描述不符。",
                    "**可退金额**：未使用的全额退款；部分使用的按未使用比例退款。",
                    "**需要的凭证**：详情页描述与实际道具的对比截图。",
                    "**处理时间**：1-3个工作日内审核。" + _ZH_AFTER,
                ),
                "checklist": {"description_comparison": _ZH_COMPARE},
            },
        },
    },
    "en": {
        "game_card": {
            "not_received": {
                "hint": _hint(
                    "**When it applies**: the card has not been activated and did not arrive because of a "
                    "platform fault (system failure or stock error).",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: a screenshot of the in-game top-up failure. " + _EN_SHOT,
                    "**How long**: if our delivery record shows the failure, the refund is approved "
                    "automatically within minutes; otherwise we review within 1 working day. " + _EN_AFTER,
                ),
                "checklist": {
                    "topup_failure_screenshot": "Screenshot of the in-game top-up failure "
                    "(order number, amount and failure message visible)",
                },
            },
            "invalid": {
                "hint": _hint(
                    "**When it applies**: the card is unused but its code is invalid or cannot be redeemed.",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: a screenshot of the error shown when redeeming the card. " + _EN_SHOT,
                    "**How long**: approved at once if a stock error or system failure on our side caused "
                    "it; otherwise reviewed within 1–3 working days. " + _EN_AFTER,
                ),
                "checklist": {
                    "card_error_screenshot": "Screenshot of the redemption error "
                    "(card or order number, face value and error message visible)",
                },
            },
            "not_as_described": {
                "hint": _hint(
                    "**When it applies**: the card is unused and differs from its description "
                    "(for example face value or game server).",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: screenshots comparing the product page with what you received.",
                    "**How long**: reviewed within 1–3 working days. " + _EN_AFTER,
                ),
                "checklist": {"description_comparison": _EN_COMPARE},
            },
            "customer_error": {
                "hint": _hint(
                    "**When it applies**: you made a mistake yourself, such as entering the wrong account.",
                    "**How much**: a partial refund; our staff set the amount from your evidence and what "
                    "can be recovered, never more than you paid less anything already refunded.",
                    "**Evidence**: a screenshot of the order showing the wrong account, proof of your "
                    "correct account, and any messages with the game operator about recovering the points.",
                    "**How long**: reviewed within 1–3 working days; if responsibility is unclear, the case "
                    "may go to third-party arbitration. " + _EN_AFTER,
                ),
                "checklist": {
                    "wrong_account_screenshot": "Screenshot of the order showing the account entered "
                    "by mistake",
                    "correct_account_proof": "Proof of your correct account (for example its profile page)",
                    "recovery_record": "Messages with the game operator about recovering the points (if any)",
                },
            },
        },
        "phone_topup": {
            "not_received": {
                "hint": _hint(
                    "**When it applies**: the top-up failed or has not been credited. Top-ups that have "
                    "been credited cannot be refunded.",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: your carrier's balance or top-up arrival record (carrier app screenshot, "
                    "SMS or bill) showing the phone number, time and amount.",
                    "**How long**: if our top-up record shows it was not credited, the refund is approved "
                    "automatically within minutes; otherwise we review within 1 working day. " + _EN_AFTER,
                ),
                "checklist": {
                    "carrier_arrival_record": "Carrier's balance or arrival record "
                    "(phone number, time and amount visible)",
                    "payment_record": "Payment record showing the order number and amount (optional)",
                },
            },
        },
        "software": {
            "software_unactivated": {
                "hint": _hint(
                    "**When it applies**: the software has not been activated and has not been used for "
                    "more than 7 days since purchase; you can terminate the contract.",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: a screenshot of the account showing the software is not activated, and "
                    "the account's login verification record. Never send us your password.",
                    "**How long**: reviewed within 1–3 working days. " + _EN_AFTER,
                ),
                "checklist": {
                    "unactivated_account": "Screenshot of the account showing the software is not activated",
                    "login_verification_record": "The account's login verification record",
                },
            },
            "trial_no_reason": {
                "hint": _hint(
                    "**When it applies**: during the trial period, no reason needed.",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: none needed.",
                    "**How long**: reviewed within 1 working day. " + _EN_AFTER,
                ),
                "checklist": {},
            },
            "invalid": {
                "hint": _hint(
                    "**When it applies**: the software is unused but cannot be activated or does not work.",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: a screenshot of the activation or failure message; add the account's "
                    "login verification record if you have it. " + _EN_SHOT,
                    "**How long**: reviewed within 1–3 working days. " + _EN_AFTER,
                ),
                "checklist": {
                    "error_screenshot": "Screenshot of the activation or failure message",
                    "login_verification_record": "The account's login verification record (optional)",
                },
            },
            "not_as_described": {
                "hint": _hint(
                    "**When it applies**: the software is unused and its features, edition or licence differ "
                    "from the description.",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: screenshots comparing the product page with what you received.",
                    "**How long**: reviewed within 1–3 working days. " + _EN_AFTER,
                ),
                "checklist": {"description_comparison": _EN_COMPARE},
            },
        },
        "game_item": {
            "not_received": {
                "hint": _hint(
                    "**When it applies**: the item has not arrived in your inventory or in-game mailbox.",
                    "**How much**: a full refund of what you paid, less anything already refunded.",
                    "**Evidence**: a screenshot of your inventory or mailbox with the order number and time.",
                    "**How long**: if our delivery record shows the failure, the refund is approved "
                    "automatically within minutes; otherwise we review within 1 working day. " + _EN_AFTER,
                ),
                "checklist": {
                    "inventory_screenshot": "Screenshot of your inventory or mailbox without the item "
                    "(order number and time visible)",
                },
            },
            "invalid": {
                "hint": _hint(
                    "**When it applies**: the item does not work or is defective.",
                    "**How much**: unused: a full refund; partly used: the unused share; used but "
                    "defective: 30%.",
                    "**Evidence**: a screenshot showing the defect or failure message; add the item's usage "
                    "record if the game shows one.",
                    "**How long**: reviewed within 1–3 working days. " + _EN_AFTER,
                ),
                "checklist": {
                    "defect_screenshot": "Screenshot showing the defect or failure message",
                    "usage_record": "The item's usage record (optional)",
                },
            },
            "not_as_described": {
                "hint": _hint(
                    "**When it applies**: the item's attributes, quantity or effect differ from the "
                    "description.",
                    "**How much**: unused: a full refund; partly used: the unused share.",
                    "**Evidence**: screenshots comparing the product page with the item you received.",
                    "**How long**: reviewed within 1–3 working days. " + _EN_AFTER,
                ),
                "checklist": {"description_comparison": _EN_COMPARE},
            },
        },
    },
}

# One plain sentence per category, for product and order pages.
DEFAULT_SUMMARIES: dict[str, dict[str, str]] = {
    "zh_CN": {
        "game_card": "未激活使用的点卡可退款：因平台原因（系统故障、库存错误）未到账的全额退款；"
        "错填充值账号等个人失误可凭凭证申请部分退款。",
        "phone_topup": "话费到账后不支持退款；充值失败或未到账的全额退款。",
        "software": "试用期内可无理由退款；未激活且超过7天无使用记录的，可申请解除合同并全额退款。",
        "game_item": "未使用的道具全额退款；部分使用的按未使用比例退款；已使用但存在功能缺陷的退还30%。",
    },
    "en": {
        "game_card": "Unused game cards can be refunded: in full if a platform fault (system failure, stock "
        "error) stopped delivery; partially, with evidence, after your own mistake such as a wrong account.",
        "phone_topup": "Top-ups cannot be refunded once credited; failed or uncredited top-ups are refunded "
        "in full.",
        "software": "No-reason refund during the trial period; if not activated and unused for more than "
        "7 days, you can terminate the contract for a full refund.",
        "game_item": "Unused items: full refund; partly used: refund of the unused share; used but "
        "defective: 30% refund.",
    },
}


def default_ruleset() -> RuleSet:
    """The default rules parsed into a RuleSet."""
    return RuleSet.from_dict(DEFAULT_RULES)
