"""Event texts: every customer-facing event has one, in both languages, and each SMS fits one message."""

import pytest
from flask_babel import force_locale, gettext

from portal.notifications.labels import EVENT_TEXTS, SMS_LIMIT, SMS_PARAMS, render_sms

# Every state change the customer hears about, and the late-review notice.
CUSTOMER_EVENTS = {
    "evidence_deadline_passed",
    "approved_offline",
    "approved_partial_offline",
    "appeal_approved_offline",
    "submitted",
    "evidence_received",
    "under_review",
    "more_evidence",
    "approved",
    "approved_partial",
    "rejected",
    "arbitration",
    "appealed",
    "appeal_approved",
    "appeal_rejected",
    "appeal_returned",
    "executing",
    "refunded",
    "withdrawn",
    "overdue",
    "payout_account_needed",
    "support_reply",
}

# The longest values the parameters take: RF + date + 8 hex, six-figure yuan, a date with a time.
LONGEST = {
    "zh_CN": {
        "number": "RF20261128ABCDEF12",
        "due": "12月31日 23:59",
        "amount": "¥99999.99",
        "route": "线下转账",
        "arrival": "12月31日",
    },
    "en": {
        "number": "RF20261128ABCDEF12",
        "due": "Dec 31 23:59",
        "amount": "¥99999.99",
        "route": "Offline transfer",
        "arrival": "Dec 31",
    },
}
SIGN = "众商卡盟"


def test_every_customer_event_has_a_text():
    assert set(EVENT_TEXTS) == CUSTOMER_EVENTS


@pytest.mark.parametrize("event", sorted(CUSTOMER_EVENTS))
def test_sms_bodies_use_only_short_parameters(app, event):
    with app.test_request_context():
        body = render_sms(f"case:{event}", LONGEST["en"], "en", SIGN)
    assert "%(" not in body and body.startswith(f"【{SIGN}】")
    text = str(EVENT_TEXTS[event].body._args[0])  # the msgid
    for name in ("reason", "note", "items", "requested"):
        assert f"%({name})" not in text, f"{event}: long parameter {name} in the SMS"
    assert set(LONGEST["en"]) == set(SMS_PARAMS)


@pytest.mark.parametrize("event", sorted(CUSTOMER_EVENTS))
def test_zh_cn_sms_fits_one_message(app, event):
    """70 UCS-2 characters, signature included, and really in Chinese."""
    msgid = str(EVENT_TEXTS[event].body._args[0])
    with app.test_request_context(), force_locale("zh_CN"):
        assert gettext(msgid) != msgid, f"{event}: not translated to zh_CN"
        text = render_sms(f"case:{event}", LONGEST["zh_CN"], "zh_CN", SIGN)
    assert len(text) <= SMS_LIMIT, f"{event}: {len(text)} characters: {text}"


def test_english_sms_stays_short(app):
    """English goes out in UCS-2 too (the signature is not GSM-7): at most two parts of 67."""
    with app.test_request_context():
        for event in CUSTOMER_EVENTS:
            assert len(render_sms(f"case:{event}", LONGEST["en"], "en", SIGN)) <= 134, event
