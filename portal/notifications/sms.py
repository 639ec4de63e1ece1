"""SMS backends behind one interface: `console` (the development stand-in), `aliyun`, `tencent`, or a class.

A backend gets the whole message: the rendered text (for text-only providers and the console) and the
template key with its parameters (for providers that send pre-approved templates). It returns the
provider's message id, or raises SmsRefused saying what should happen next: retry later, give up on
this message, or fix the settings. Phone numbers never go into logs or errors.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import import_module
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.notifications.models import ConsoleSms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str  # rendered in the customer's language, signature included
    template: str  # the outbox template: "sign_in_code" or "case:<event>"
    params: Mapping = field(default_factory=dict)
    locale: str = "zh_CN"
    out_id: str = ""  # our de-duplication key (outbox-<id>): Aliyun's OutId, Tencent's SessionContext


class SmsOutcome(StrEnum):
    """What to do after a provider refused a message (shown in the staff failure list)."""

    RETRY = "retry"  # passing: rate limit, provider fault, no answer
    GIVE_UP = "give_up"  # this message cannot be sent: bad number, number blocked, daily cap reached
    FIX_SETTINGS = "fix_settings"  # our account, keys, signature or templates are wrong: an operator must act


class SmsRefused(Exception):
    """The provider did not take the message; `.outcome` says what next, `.code` is the provider's code."""

    def __init__(self, outcome: SmsOutcome, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.outcome, self.code, self.message = outcome, code, message


class SmsMisconfigured(RuntimeError):
    """The SMS settings cannot work: the app refuses to start, naming the setting."""


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> str:
        """Send one message; returns the provider's id or raises SmsRefused.

        Sending is at most once per outbox row (the worker holds the row's lock); after a crash between
        the provider's answer and our commit the same out_id is sent again, and only a provider that
        de-duplicates by it (the console stand-in does) avoids a second SMS.
        """


class ConsoleSmsBackend:
    """FAKE provider for development and tests: logs the text and keeps it for the /dev/sms page."""

    def __init__(self, config: Mapping | None = None) -> None:
        pass

    def send(self, message: SmsMessage) -> str:
        out_id, phone, text = message.out_id, message.phone, message.text
        # Never the phone number or the text (it may hold a sign-in code): they are kept for /dev/sms only.
        log.warning("console SMS kept for /dev/sms", extra={"outbox_ref": out_id})
        # Its own transaction, like a remote provider: what it received stays received.
        with db.engine.begin() as conn:
            try:
                conn.execute(ConsoleSms.__table__.insert().values(out_id=out_id, phone=phone, text=text))
            except IntegrityError:
                conn.rollback()
                with db.engine.begin() as again:
                    again.execute(
                        update(ConsoleSms)
                        .where(ConsoleSms.out_id == out_id)
                        .values(calls=ConsoleSms.calls + 1)
                    )
        return f"console-{out_id}"


NAMED_BACKENDS = {
    "console": "portal.notifications.sms:ConsoleSmsBackend",
    "aliyun": "portal.notifications.providers.aliyun:AliyunSms",
    "tencent": "portal.notifications.providers.tencent:TencentSms",
}


def load_backend(name: str, config: Mapping | None = None) -> SmsBackend:
    """`console`, `aliyun`, `tencent`, or `package.module:ClassName`; built with the app's settings."""
    path = NAMED_BACKENDS.get(name, name)
    module_name, _, class_name = path.partition(":")
    try:
        cls = getattr(import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SmsMisconfigured(f"SMS_BACKEND: cannot import {name!r}: {exc}") from exc
    return cls(config or {})


def check_settings(config: Mapping) -> None:
    """Refuse to start with an SMS backend that cannot work (or the console stand-in in production)."""
    name = str(config.get("SMS_BACKEND") or "console")
    if config.get("PRODUCTION") and name == "console":
        raise SmsMisconfigured(
            "SMS_BACKEND: the console stand-in sends nothing; name a provider in production"
        )
    load_backend(name, config)
