"""Refund types and amount methods: the vocabulary of the refund rules."""

from enum import StrEnum


class RefundType(StrEnum):
    NOT_RECEIVED = "not_received"  # 商品未到账
    INVALID = "invalid"  # 商品失效
    NOT_AS_DESCRIBED = "not_as_described"  # 描述不符
    CUSTOMER_ERROR = "customer_error"  # 操作失误 (e.g. wrong top-up account)
    SOFTWARE_UNACTIVATED = "software_unactivated"  # 未激活超过7天, 解除合同
    TRIAL_NO_REASON = "trial_no_reason"  # 试用期无理由退款


class AmountMethod(StrEnum):
    FULL = "full"  # everything still refundable
    PRO_RATA = "pro_rata"  # by the unused share
    PERCENT = "percent"  # a fixed percentage
    STAFF_DECIDES = "staff_decides"  # partial, staff set the amount (suggestion is a cap)
    NONE = "none"
