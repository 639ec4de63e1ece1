"""Receiving accounts for offline (线下转账) refunds: validation and masking (pure: no Flask app needed)."""

import re
from dataclasses import dataclass
from enum import StrEnum


class AccountKind(StrEnum):
    ALIPAY = "alipay"  # 支付宝账号: a mainland mobile number or an e-mail address
    BANK_CARD = "bank_card"  # 银行卡号: 12–19 digits passing the Luhn check


_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")
_SEPARATORS = re.compile(r"[\s-]+")


class AccountError(ValueError):
    """The account was refused; `.field` names the form field, `.code` a key of labels.ACCOUNT_ERRORS."""

    def __init__(self, field: str, code: str):
        super().__init__(code)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Account:
    kind: AccountKind
    holder: str
    number: str  # normalised: digits only for cards, lower-case e-mail, 11-digit mobile
    bank: str = ""


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by bank card numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def normalise_card(raw: str) -> str:
    """Card number without spaces or dashes (as printed on cards and typed on phones)."""
    return _SEPARATORS.sub("", raw or "")


def normalise_alipay(raw: str) -> str:
    """Mobile numbers lose +86 and separators; e-mail addresses are lower-cased."""
    value = (raw or "").strip()
    if "@" in value:
        return value.lower()
    value = _SEPARATORS.sub("", value)
    return value.removeprefix("+86").removeprefix("0086")


def validate(kind: str, holder: str, number: str, bank: str = "") -> Account:
    """A clean Account, or AccountError naming the first field that is wrong."""
    try:
        kind = AccountKind(kind)
    except ValueError:
        raise AccountError("kind", "kind_unknown") from None
    holder = " ".join((holder or "").split())
    if not holder:
        raise AccountError("holder", "holder_required")
    if len(holder) > 64:
        raise AccountError("holder", "holder_too_long")
    if kind is AccountKind.BANK_CARD:
        digits = normalise_card(number)
        if not (digits.isdigit() and 12 <= len(digits) <= 19):
            raise AccountError("number", "card_format")
        if not luhn_ok(digits):
            raise AccountError("number", "card_checksum")
        bank = " ".join((bank or "").split())
        if not bank:
            raise AccountError("bank", "bank_required")
        return Account(kind, holder, digits, bank[:64])
    value = normalise_alipay(number)
    if not (_MOBILE.fullmatch(value) or _EMAIL.fullmatch(value)):
        raise AccountError("number", "alipay_format")
    return Account(kind, holder, value, "")


def mask(kind: str, number: str) -> str:
    """What people see: 6222 **** **** 1234, 138****8000, ab***@example.com."""
    if kind == AccountKind.BANK_CARD:
        return f"{number[:4]} **** **** {number[-4:]}" if len(number) >= 8 else "****"
    if "@" in number:
        name, _, domain = number.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{number[:3]}****{number[-4:]}" if len(number) >= 7 else "****"
