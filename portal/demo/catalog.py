"""The demo catalogue: realistic products of the four categories."""

from portal.orders.kinds import Category

# sku, Chinese name, English name, category, price in fen, trial days
PRODUCTS = [
    ("GC-QQ-100", "腾讯Q币 100元点卡", "Tencent Q-coin card ¥100", Category.GAME_CARD, 10000, 0),
    ("GC-WOW-30", "魔兽世界 30天时长卡", "World of Warcraft 30-day time card", Category.GAME_CARD, 7500, 0),
    ("GC-NT-50", "网易一卡通 50元", "NetEase all-in-one card ¥50", Category.GAME_CARD, 5000, 0),
    ("GC-STEAM-688", "Steam 钱包充值卡 688元", "Steam wallet card ¥688", Category.GAME_CARD, 68800, 0),
    ("TP-CM-50", "中国移动 话费充值 50元", "China Mobile top-up ¥50", Category.PHONE_TOPUP, 4980, 0),
    ("TP-CU-100", "中国联通 话费充值 100元", "China Unicom top-up ¥100", Category.PHONE_TOPUP, 9950, 0),
    ("TP-CT-200", "中国电信 话费充值 200元", "China Telecom top-up ¥200", Category.PHONE_TOPUP, 19900, 0),
    ("SW-OFFICE-Y", "办公软件 年度会员", "Office suite, one-year membership", Category.SOFTWARE, 29900, 14),
    ("SW-VPNACC-M", "网络加速器 月卡", "Network accelerator, monthly pass", Category.SOFTWARE, 3000, 3),
    ("SW-ANTIVIRUS", "安全卫士 专业版 激活码", "Security suite Pro licence key", Category.SOFTWARE, 15800, 7),
    (
        "GI-SKIN-DRAGON",
        "王者荣耀 皮肤 龙吟",
        "Honor of Kings skin: Dragon Roar",
        Category.GAME_ITEM,
        16800,
        0,
    ),
    (
        "GI-GEMS-6480",
        "原神 创世结晶 6480",
        "Genshin Impact Genesis Crystals 6480",
        Category.GAME_ITEM,
        64800,
        0,
    ),
    (
        "GI-BUNDLE-100",
        "和平精英 道具礼包 100件",
        "Game for Peace item bundle, 100 pieces",
        Category.GAME_ITEM,
        9800,
        0,
    ),
]
