"""Display names of the order vocabulary (English msgids; zh_CN uses the source's terms)."""

from portal.i18n import lazy_gettext as _l
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, PaymentRoute, Usage

CATEGORY = {
    Category.GAME_CARD: _l("Game card"),
    Category.PHONE_TOPUP: _l("Phone top-up"),
    Category.SOFTWARE: _l("Software service"),
    Category.GAME_ITEM: _l("Game item"),
}
PAYMENT_ROUTE = {
    PaymentRoute.ALIPAY: _l("Alipay"),
    PaymentRoute.WECHAT: _l("WeChat Pay"),
    PaymentRoute.BANK_CARD: _l("Bank card"),
    PaymentRoute.OFFLINE: _l("Offline transfer"),
}
FULFILMENT = {
    Fulfilment.COMPLETED: _l("Completed"),
    Fulfilment.SHIPPED: _l("Shipped"),
    Fulfilment.CREDITED: _l("Credited"),
}
USAGE = {
    Usage.UNUSED: _l("Unused"),
    Usage.ACTIVATED: _l("Activated"),
    Usage.PARTIALLY_USED: _l("Partly used"),
    Usage.USED: _l("Used"),
}
DELIVERY = {
    DeliveryStatus.DELIVERED: _l("Delivered"),
    DeliveryStatus.PENDING: _l("Delivery pending"),
    DeliveryStatus.SYSTEM_FAULT: _l("Failed: platform system fault"),
    DeliveryStatus.STOCK_ERROR: _l("Failed: platform stock error"),
    DeliveryStatus.NOT_CREDITED: _l("Failed: the carrier did not credit the top-up"),
}


# The tabs of 我的订单, in order ("" is 全部).
ORDER_TABS = (
    ("", _l("All")),
    ("refundable", _l("Refundable")),
    ("in_progress", _l("Refunding")),
    ("refunded", _l("Refunded")),
)

# The small picture beside an order (an inline icon of portal/icons.py) by category.
CATEGORY_ICON = {
    Category.GAME_CARD: "card",
    Category.PHONE_TOPUP: "phone",
    Category.SOFTWARE: "software",
    Category.GAME_ITEM: "game",
}


def order_status_tone(order) -> str:
    """The badge colour of order_status: refunded is calm, abnormal warns, the rest is plain."""
    if order.refunded_fen:
        return "calm"
    return "warn" if order.abnormal else "plain"


def order_status(order) -> str:
    """The one status a customer sees first: refunded or abnormal override fulfilment."""
    if order.refunded_fen and order.refunded_fen >= order.amount_fen:
        return _l("Refunded")
    if order.refunded_fen:
        return _l("Partly refunded")
    if order.abnormal:
        return _l("Abnormal")
    return FULFILMENT[order.fulfilment]
