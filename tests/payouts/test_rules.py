"""Pure rules: receiving accounts, the retry schedule, signatures (the sandbox: devtools/sandbox/tests)."""

from datetime import datetime, timedelta

import pytest

from portal.payouts import signing
from portal.payouts.gateways import fen_to_yuan, yuan_to_fen
from portal.payouts.receiving import AccountError, AccountKind, luhn_ok, mask, validate
from portal.payouts.states import PayoutState, after_failure, may_submit, retry_delay

CARD = "6222 0212 3456 7890 128"  # 19 digits


def _luhn_complete(prefix: str) -> str:
    return next(prefix + str(d) for d in range(10) if luhn_ok(prefix + str(d)))


def test_luhn():
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("41111111x1111111")
    assert luhn_ok(_luhn_complete("622202123456789012"))


def test_bank_card_is_normalised_checked_and_masked():
    number = _luhn_complete("622202123456789012")
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    account = validate("bank_card", "  张三  ", spaced, "工商银行 北京分行")
    assert (account.kind, account.holder, account.number) == (AccountKind.BANK_CARD, "张三", number)
    assert mask("bank_card", number) == f"6222 **** **** {number[-4:]}"
    bad = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(AccountError) as err:
        validate("bank_card", "张三", bad, "工商银行")
    assert (err.value.field, err.value.code) == ("number", "card_checksum")
    with pytest.raises(AccountError) as err:
        validate("bank_card", "张三", "1234", "工商银行")
    assert err.value.code == "card_format"
    with pytest.raises(AccountError) as err:
        validate("bank_card", "张三", number, "")
    assert err.value.field == "bank"


def test_alipay_account_is_a_mobile_number_or_an_email():
    assert validate("alipay", "李四", "+86 138-0013-8000").number == "13800138000"
    assert validate("alipay", "李四", "Li.Si@Example.com").number == "li.si@example.com"
    assert mask("alipay", "13800138000") == "138****8000"
    assert mask("alipay", "li.si@example.com") == "li***@example.com"
    for bad in ("12345", "1380013800", "not an account", ""):
        with pytest.raises(AccountError):
            validate("alipay", "李四", bad)
    with pytest.raises(AccountError) as err:
        validate("alipay", "", "13800138000")
    assert err.value.field == "holder"
    with pytest.raises(AccountError) as err:
        validate("paypal", "李四", "13800138000")
    assert err.value.field == "kind"


def test_retry_schedule_and_manual_threshold():
    delays = (10, 20, 30)
    assert [retry_delay(n, delays).total_seconds() for n in (1, 2, 3, 9)] == [10, 20, 30, 30]
    assert after_failure(1, 3) is PayoutState.FAILED
    assert after_failure(3, 3) is PayoutState.MANUAL
    now = datetime(2026, 11, 28, 12)
    assert may_submit(PayoutState.PENDING, 0, None, now)
    assert not may_submit(PayoutState.FAILED, 1, now + timedelta(seconds=1), now)
    assert may_submit(PayoutState.FAILED, 1, now, now)
    for state in (PayoutState.SUBMITTED, PayoutState.SUCCEEDED, PayoutState.MANUAL):
        assert not may_submit(state, 0, None, now)


def test_signatures_expire_and_cover_the_body():
    headers = signing.signed_headers("k", b"body", now=1000)
    assert signing.verify("k", headers, b"body", now=1000)
    assert not signing.verify("k", headers, b"body!", now=1000)
    assert not signing.verify("other", headers, b"body", now=1000)
    assert not signing.verify("k", headers, b"body", now=1000 + signing.MAX_SKEW_SECONDS + 1)
    assert not signing.verify("k", {}, b"body")


def test_yuan_conversions():
    assert fen_to_yuan(1230) == "12.30" and fen_to_yuan(5) == "0.05"
    assert yuan_to_fen("12.30") == 1230
    with pytest.raises(ValueError):
        yuan_to_fen("1.234")
