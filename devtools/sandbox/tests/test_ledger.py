"""The SANDBOX's books: a request number refunds once, a trade never refunds more than was paid."""

import pytest

from devtools.sandbox.ledger import Ledger, LedgerError, RefundStatus


def test_ledger_refunds_a_request_number_once():
    ledger = Ledger()
    first = ledger.submit("alipay", "RP1", "T1", 1000, 3000)
    again = ledger.submit("alipay", "RP1", "T1", 1000, 3000)
    assert first.gateway_ref == again.gateway_ref and len(ledger.refunds()) == 1
    with pytest.raises(LedgerError) as err:
        ledger.submit("alipay", "RP1", "T1", 1500, 3000)
    assert err.value.code == "REQUEST_NO_CONFLICT"
    ledger.settle("alipay", "RP1", True)
    assert ledger.submit("alipay", "RP1", "T1", 1000, 3000).status is RefundStatus.SUCCESS
    assert ledger.refunded_total("alipay", "T1") == 1000
    assert [s["outcome"] for s in ledger.submissions()] == [
        "accepted",
        "accepted",
        "REQUEST_NO_CONFLICT",
        "accepted",
    ]


def test_ledger_never_refunds_more_than_was_paid():
    ledger = Ledger()
    ledger.submit("wechat", "RP1", "T1", 2000, 3000)
    with pytest.raises(LedgerError) as err:
        ledger.submit("wechat", "RP2", "T1", 1500, 3000)
    assert err.value.code == "REFUND_EXCEEDS_PAID"
    ledger.settle("wechat", "RP1", False)  # failed: its amount is free again
    ledger.submit("wechat", "RP2", "T1", 1500, 3000)
    with pytest.raises(LedgerError):  # trying the failed one again would now exceed what was paid
        ledger.submit("wechat", "RP1", "T1", 2000, 3000)
    ledger.settle("wechat", "RP2", False)
    retried = ledger.submit("wechat", "RP1", "T1", 2000, 3000)  # a failed number tried again: one refund
    assert retried.status is RefundStatus.PROCESSING and retried.attempts == 2
    assert len(ledger.refunds()) == 2


def test_ledger_refuses_nonsense():
    ledger = Ledger()
    for args in (("", "T", 1, 1), ("RP", "", 1, 1), ("RP", "T", 0, 10), ("RP", "T", 1.5, 10)):
        with pytest.raises(LedgerError):
            ledger.submit("bank_card", *args)
