"""SMS backends. A real provider plugs in behind `SmsBackend`; `console` is the development stand-in."""

import logging
from importlib import import_module
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.notifications.models import ConsoleSms

log = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, phone: str, text: str, out_id: str) -> str:
        """Send one message; `out_id` is our de-duplication key (Aliyun's OutId), returns the provider's id.

        A provider must treat a second call with the same out_id as the same message (no second SMS).
        """


class ConsoleSmsBackend:
    """FAKE provider for development and tests: logs the text and keeps it for the /dev/sms page."""

    def send(self, phone: str, text: str, out_id: str) -> str:
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


def load_backend(name: str) -> SmsBackend:
    """`console`, or `package.module:ClassName` for a real provider's adapter."""
    if name == "console":
        return ConsoleSmsBackend()
    module_name, _, class_name = name.partition(":")
    return getattr(import_module(module_name), class_name)()
