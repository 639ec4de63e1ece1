"""The demo customer's orders: one of every situation in the refund rules (docs/policy.md), and then some."""

from dataclasses import dataclass, field
from datetime import timedelta

from portal.orders.kinds import DeliveryStatus as D
from portal.orders.kinds import Fulfilment as F
from portal.orders.kinds import PaymentRoute as P
from portal.orders.kinds import Usage as U


@dataclass(frozen=True)
class Situation:
    key: str
    sku: str
    route: P
    age: timedelta  # how long ago it was paid
    fulfilment: F
    usage: U
    delivery: D
    abnormal: bool = False
    used_permille: int = 0
    activated_after: timedelta | None = None  # activation time after payment
    refunded_share: int = 0  # percent already refunded
    note: str = ""
    extra: dict = field(default_factory=dict)


H, DAY = timedelta(hours=1), timedelta(days=1)

SITUATIONS = [
    Situation(
        "game_card_system_fault",
        "GC-QQ-100",
        P.ALIPAY,
        2 * H,
        F.SHIPPED,
        U.UNUSED,
        D.SYSTEM_FAULT,
        True,
        note="发卡接口超时，卡密未送达",
    ),
    Situation(
        "game_card_stock_error",
        "GC-NT-50",
        P.WECHAT,
        5 * H,
        F.SHIPPED,
        U.UNUSED,
        D.STOCK_ERROR,
        True,
        note="库存卡密已被占用",
    ),
    Situation("game_card_unused", "GC-WOW-30", P.BANK_CARD, 1 * DAY, F.COMPLETED, U.UNUSED, D.DELIVERED),
    Situation(
        "game_card_wrong_account",
        "GC-QQ-100",
        P.WECHAT,
        3 * DAY,
        F.CREDITED,
        U.UNUSED,
        D.DELIVERED,
        note="已充值到账号 12345678（客户填写）",
    ),
    Situation(
        "game_card_green_channel",
        "GC-STEAM-688",
        P.ALIPAY,
        6 * H,
        F.SHIPPED,
        U.UNUSED,
        D.SYSTEM_FAULT,
        True,
        note="发卡系统故障",
    ),
    Situation(
        "topup_credited",
        "TP-CM-50",
        P.ALIPAY,
        2 * DAY,
        F.CREDITED,
        U.USED,
        D.DELIVERED,
        note="运营商回执：已到账",
    ),
    Situation(
        "topup_not_credited",
        "TP-CU-100",
        P.WECHAT,
        4 * H,
        F.SHIPPED,
        U.UNUSED,
        D.NOT_CREDITED,
        True,
        note="运营商回执：充值失败",
    ),
    Situation(
        "topup_pending", "TP-CT-200", P.BANK_CARD, 30 * timedelta(minutes=1), F.SHIPPED, U.UNUSED, D.PENDING
    ),
    Situation(
        "software_unactivated_10d", "SW-OFFICE-Y", P.ALIPAY, 10 * DAY, F.COMPLETED, U.UNUSED, D.DELIVERED
    ),
    Situation(
        "software_unactivated_3d", "SW-ANTIVIRUS", P.WECHAT, 3 * DAY, F.COMPLETED, U.UNUSED, D.DELIVERED
    ),
    Situation(
        "software_trial",
        "SW-VPNACC-M",
        P.ALIPAY,
        1 * DAY,
        F.COMPLETED,
        U.ACTIVATED,
        D.DELIVERED,
        activated_after=1 * H,
    ),
    Situation(
        "software_trial_over",
        "SW-OFFICE-Y",
        P.BANK_CARD,
        40 * DAY,
        F.COMPLETED,
        U.ACTIVATED,
        D.DELIVERED,
        activated_after=2 * H,
    ),
    Situation("game_item_unused", "GI-SKIN-DRAGON", P.WECHAT, 2 * DAY, F.CREDITED, U.UNUSED, D.DELIVERED),
    Situation(
        "game_item_partly_used",
        "GI-BUNDLE-100",
        P.ALIPAY,
        4 * DAY,
        F.CREDITED,
        U.PARTIALLY_USED,
        D.DELIVERED,
        used_permille=400,
    ),
    Situation(
        "game_item_used_defective",
        "GI-GEMS-6480",
        P.BANK_CARD,
        6 * DAY,
        F.CREDITED,
        U.USED,
        D.DELIVERED,
        used_permille=1000,
    ),
    Situation(
        "offline_transfer",
        "GC-WOW-30",
        P.OFFLINE,
        1 * DAY,
        F.SHIPPED,
        U.UNUSED,
        D.SYSTEM_FAULT,
        True,
        note="发卡系统故障",
    ),
    Situation(
        "partly_refunded",
        "GI-BUNDLE-100",
        P.WECHAT,
        8 * DAY,
        F.CREDITED,
        U.PARTIALLY_USED,
        D.DELIVERED,
        used_permille=200,
        refunded_share=50,
    ),
    Situation(
        "fully_refunded",
        "GC-NT-50",
        P.ALIPAY,
        15 * DAY,
        F.SHIPPED,
        U.UNUSED,
        D.SYSTEM_FAULT,
        refunded_share=100,
        note="发卡系统故障",
    ),
]
