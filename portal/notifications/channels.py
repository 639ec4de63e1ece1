"""How each kind of outbox row is delivered: one channel per kind, each behind the same small interface.

The worker (worker.jobs.deliver_outbox) looks the row's channel up here and calls `send`; it knows no
channel by name. A channel returns the provider's reference for the row, or raises: SmsRefused and AppGone
say what the worker should do instead of retrying, anything else is retried with backoff.
"""

from importlib import import_module
from typing import Protocol

from flask import current_app

from portal import outbox
from portal.notifications import push
from portal.notifications.labels import render_sms
from portal.notifications.sms import SmsMessage, load_backend
from portal.outbox import OutboxItem


class Channel(Protocol):
    def send(self, item: OutboxItem) -> str:
        """Deliver one outbox row once; returns a reference kept on the row."""


class SmsChannel:
    """An SMS through the configured provider; the row's job id is the provider's de-duplication key."""

    def send(self, item: OutboxItem) -> str:
        config = current_app.config
        message = SmsMessage(
            phone=item.recipient,
            text=render_sms(item.template, item.params, item.locale, config["SMS_SIGN_NAME"]),
            template=item.template,
            params=dict(item.params),
            locale=item.locale,
            out_id=outbox.job_id_for(item.id),
        )
        return load_backend(config["SMS_BACKEND"], config).send(message)


class PushChannel:
    """An APP push: a signed webhook POST (portal.notifications.push)."""

    def send(self, item: OutboxItem) -> str:
        return push.deliver(item, current_app.config)


class JobChannel:
    """Background work queued with outbox.add_job: the job function, found again by its dotted name."""

    def send(self, item: OutboxItem) -> str:
        # Only our own job functions: the name was derived by our code from a function, never given by a user.
        if not item.template.startswith(("worker.", "portal.")):
            raise ValueError(f"refusing job path {item.template}")
        module_name, _, func_name = item.template.rpartition(".")
        getattr(import_module(module_name), func_name)(*item.params.get("args", []))
        return "job"


CHANNELS: dict[str, Channel] = {"sms": SmsChannel(), "push": PushChannel(), "job": JobChannel()}


def channel_for(name: str) -> Channel:
    """The channel that delivers rows of this kind (ValueError for an unknown one)."""
    try:
        return CHANNELS[name]
    except KeyError:
        raise ValueError(f"unknown channel {name}") from None
