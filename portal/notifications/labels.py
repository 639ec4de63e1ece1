"""What each event says, by SMS and in the inbox, in the customer's language; what failures are called.

Titles are what a customer would say, never a staff node's bare name. Which events also reach the phone
(SMS or APP push) is policy data (`phone_news` in portal/policy/defaults.py); the rest are 站内信 only.

An SMS must fit one message: 70 characters in UCS-2 (Chinese), the signature 【众商卡盟】 and a case
number (RF + 16 characters) included. So the SMS `body` carries only short parameters (number, due
date, amount, route, arrival date); the reviewer's own words and reason labels, which may be long, go
to the inbox `detail` only. tests/notifications/test_labels.py renders every body in zh_CN with the longest
parameters and checks the length. The Chinese in the comments is a suggested translation within budget.
"""

from typing import NamedTuple

from flask_babel import force_locale
from flask_babel.speaklater import LazyString

from portal.i18n import lazy_gettext as _l

SMS_LIMIT = 70

SMS_TEMPLATES = {
    "sign_in_code": _l("Your sign-in code is %(code)s, valid for 10 minutes. Never share it with anyone."),
    # 订单%(number)s发货失败，可在订单页申请全额退款。
    "delivery_failed": _l(
        "Order %(number)s could not be delivered. Ask for your full refund on the order page."
    ),
}


class EventText(NamedTuple):
    """An event's inbox title, its SMS (also the inbox message's first line), and inbox-only detail."""

    title: LazyString
    body: LazyString
    detail: LazyString | None = None


# Parameters an SMS body may use; the detail may also use reason, note, items and requested.
SMS_PARAMS = ("number", "due", "amount", "route", "arrival")


def sms_params(params: dict) -> dict:
    """The parameters an SMS keeps (short ones; reasons and notes stay in the inbox)."""
    return {name: params[name] for name in SMS_PARAMS if name in params}


EVENT_TEXTS: dict[str, EventText] = {
    # 退款申请%(number)s已受理，%(due)s前完成审核。
    "submitted": EventText(
        _l("Refund request received"),
        _l("Refund request %(number)s received; we will review it by %(due)s."),
    ),
    # 退款%(number)s的凭证已接收，%(due)s前完成审核。
    "evidence_received": EventText(
        _l("Evidence received"),
        _l("Evidence for refund %(number)s received; review due by %(due)s."),
    ),
    # 退款%(number)s正在审核，%(due)s前给出结果。
    "under_review": EventText(
        _l("Your request is being reviewed"),  # customer words, not the node's name
        _l("Refund %(number)s is under review; decision due by %(due)s."),
    ),
    # 退款%(number)s需补充材料，请于%(due)s前在退款进度页上传。
    "more_evidence": EventText(
        _l("More evidence needed"),
        _l("Refund %(number)s needs more evidence. Please add it by %(due)s on the progress page."),
        _l("Requested: %(items)s. %(note)s"),
    ),
    # 退款%(number)s审核通过，%(amount)s将原路退回%(route)s。
    "approved": EventText(
        _l("Refund approved"),
        _l("Refund %(number)s approved: %(amount)s will go back to your %(route)s."),
    ),
    # 退款%(number)s部分通过，%(amount)s将原路退回%(route)s。
    "approved_partial": EventText(
        _l("Refund partly approved"),
        _l("Refund %(number)s partly approved: %(amount)s will go back to your %(route)s."),
        _l("You asked for %(requested)s. %(note)s"),
    ),
    # Offline (线下转账) orders are paid by hand to an account the customer gives: never 原路退回.
    # 退款%(number)s审核通过，%(amount)s将转入您提供的收款账户。
    "approved_offline": EventText(
        _l("Refund approved"),
        _l("Refund %(number)s approved: %(amount)s will be transferred to the account you give us."),
    ),
    # 退款%(number)s部分通过，%(amount)s将转入您提供的收款账户。
    "approved_partial_offline": EventText(
        _l("Refund partly approved"),
        _l("Refund %(number)s partly approved: %(amount)s will be transferred to the account you give us."),
        _l("You asked for %(requested)s. %(note)s"),
    ),
    # 退款%(number)s已驳回，原因见退款进度页，如有异议可申诉。
    "rejected": EventText(
        _l("Refund rejected"),
        _l("Refund %(number)s was rejected. See why on the progress page; you may appeal."),
        _l("Reason: %(reason)s. %(note)s"),
    ),
    # 退款%(number)s已提交第三方仲裁，结果将通知您。
    "arbitration": EventText(
        _l("Sent to third-party arbitration"),
        _l("Refund %(number)s went to third-party arbitration. We will tell you the outcome."),
    ),
    # 已收到退款%(number)s的申诉，%(due)s前答复。
    "appealed": EventText(
        _l("Appeal received"),
        _l("Appeal on refund %(number)s received; we will answer by %(due)s."),
    ),
    # 退款%(number)s申诉成功，%(amount)s将原路退回%(route)s。
    "appeal_approved": EventText(
        _l("Appeal answered: approved"),
        _l("Your appeal on %(number)s succeeded: %(amount)s will go back to your %(route)s."),
    ),
    # 退款%(number)s申诉成功，%(amount)s将转入您提供的收款账户。
    "appeal_approved_offline": EventText(
        _l("Appeal answered: approved"),
        _l("Your appeal on %(number)s succeeded: %(amount)s will be transferred to the account you give us."),
    ),
    # 退款%(number)s申诉未通过，原因见退款进度页。
    "appeal_rejected": EventText(
        _l("Appeal answered: rejected"),
        _l("Your appeal on %(number)s was not upheld. See why on the progress page."),
        _l("Reason: %(reason)s. %(note)s"),
    ),
    # 退款%(number)s申诉已受理，将重新审核，%(due)s前给出结果。
    "appeal_returned": EventText(
        _l("Appeal answered: new review"),
        _l("Your appeal on %(number)s was accepted for a new review, due by %(due)s."),
        _l("%(note)s"),
    ),
    # 退款%(number)s已发出，%(amount)s预计%(arrival)s前退回%(route)s。
    "executing": EventText(
        _l("Your money is on its way"),
        _l("Refund %(number)s is on its way: %(amount)s to your %(route)s, expected by %(arrival)s."),
    ),
    # 退款%(number)s已完成，%(amount)s已退回%(route)s。
    "refunded": EventText(
        _l("Your money is back"),
        _l("Refund %(number)s is done: %(amount)s was returned to your %(route)s."),
    ),
    # 退款%(number)s将通过线下转账退回，请在退款进度页填写收款账户。
    "payout_account_needed": EventText(
        _l("Receiving account needed"),
        _l("Refund %(number)s is paid by bank transfer: please give your account on the progress page."),
    ),
    # 您已撤回退款申请%(number)s。
    "withdrawn": EventText(
        _l("Request withdrawn"),
        _l("You withdrew refund request %(number)s."),
    ),
    # 客服已回复您的咨询%(number)s，请在联系客服中查看。
    "support_reply": EventText(
        _l("Customer service answered"),
        _l("Customer service answered your conversation %(number)s. See it under Contact us."),
    ),
    # 退款%(number)s补充材料期限已过，将按已提交的材料于%(due)s前完成审核。
    "evidence_deadline_passed": EventText(
        _l("Evidence deadline passed"),
        _l("Time to add evidence to refund %(number)s is up; we will review what you sent by %(due)s."),
    ),
    # 退款%(number)s审核已超时，您可在退款进度页申诉。
    "overdue": EventText(
        _l("Review is late"),
        _l("The review of refund %(number)s is late. You may appeal on the progress page."),
    ),
}


def render_sms(template: str, params: dict, locale: str, sign_name: str) -> str:
    """The SMS text for the template, in the given language, with the sender's signature."""
    if template.startswith("case:"):
        text = EVENT_TEXTS[template.removeprefix("case:")].body
    else:
        text = SMS_TEMPLATES[template]
    with force_locale(locale):
        body = str(text) % params
    return f"【{sign_name}】{body}"


# Why a failed outbox row failed, and what staff (or an operator) should do (the staff pages).
FAILURE = {
    "retries_spent": _l(
        "Retries spent: the provider did not answer or kept refusing. Retry when it is back."
    ),
    "give_up": _l(
        "Given up: the provider cannot deliver to this number (invalid, blocked or over its daily limit)."
    ),
    "fix_settings": _l(
        "Fix the SMS settings: the provider refused our account, keys, signature or template."
    ),
}
