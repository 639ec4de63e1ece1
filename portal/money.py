"""Money is integer fen; this is how it is written for people."""

from decimal import Decimal


def format_fen(fen: int) -> str:
    """¥12.30 for 1230 fen (negative amounts keep their sign)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}¥{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(yuan: Decimal) -> int:
    """Decimal yuan (at most two places) to integer fen; raises ValueError for finer amounts."""
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ValueError("more than two decimal places")
    return int(fen)
