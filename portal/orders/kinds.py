"""Vocabulary of orders: plain enums shared by models, rules and templates."""

from enum import StrEnum


class Category(StrEnum):
    GAME_CARD = "game_card"  # 游戏点卡
    PHONE_TOPUP = "phone_topup"  # 话费充值
    SOFTWARE = "software"  # 软件服务
    GAME_ITEM = "game_item"  # 游戏道具


class PaymentRoute(StrEnum):
    ALIPAY = "alipay"  # 支付宝
    WECHAT = "wechat"  # 微信支付
    BANK_CARD = "bank_card"  # 银行卡
    OFFLINE = "offline"  # 线下转账


class Fulfilment(StrEnum):
    COMPLETED = "completed"  # 已完成
    SHIPPED = "shipped"  # 已发货
    CREDITED = "credited"  # 已到账


class Usage(StrEnum):
    UNUSED = "unused"  # 未使用
    ACTIVATED = "activated"  # 已激活
    PARTIALLY_USED = "partially_used"  # 部分使用
    USED = "used"  # 已使用


class DeliveryStatus(StrEnum):
    """What the platform's own delivery (or top-up) record says happened."""

    DELIVERED = "delivered"
    PENDING = "pending"
    SYSTEM_FAULT = "system_fault"  # platform-side failure
    STOCK_ERROR = "stock_error"  # platform-side failure
    NOT_CREDITED = "not_credited"  # carrier reports the top-up did not arrive

    @property
    def is_platform_failure(self) -> bool:
        return self in (DeliveryStatus.SYSTEM_FAULT, DeliveryStatus.STOCK_ERROR, DeliveryStatus.NOT_CREDITED)
