"""What both SMS providers need: credentials from settings or files, template codes, parameter order, HTTP."""

import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from flask_babel import force_locale

from portal.notifications.labels import EVENT_TEXTS, SMS_TEMPLATES
from portal.notifications.sms import SmsMessage, SmsMisconfigured, SmsOutcome, SmsRefused

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def setting(config: Mapping, name: str, required: bool = True) -> str:
    """A credential given as NAME, or as a file named by NAME_FILE (its text, stripped)."""
    if value := config.get(name):
        return str(value)
    if path := config.get(f"{name}_FILE"):
        try:
            return Path(str(path)).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SmsMisconfigured(f"{name}_FILE: cannot read {path} ({type(exc).__name__})") from None
    if required:
        raise SmsMisconfigured(f"{name} (or {name}_FILE) is not set")
    return ""


def templates_sent() -> list[str]:
    """Every outbox template the portal sends by SMS, by the name SMS_TEMPLATE_CODES uses."""
    return [*SMS_TEMPLATES, *EVENT_TEXTS]


def event_name(template: str) -> str:
    return template.removeprefix("case:")


def parameter_order(template: str) -> list[str]:
    """The event's parameters in the order they appear in its English text ({1}, {2}… for Tencent)."""
    name = event_name(template)
    text = SMS_TEMPLATES[name] if name in SMS_TEMPLATES else EVENT_TEXTS[name].body
    order: list[str] = []
    with force_locale("en"):  # the msgid itself: the parameters' order of record
        english = str(text)
    for found in PLACEHOLDER.findall(english):
        if found not in order:
            order.append(found)
    return order


class Templates:
    """SMS_TEMPLATE_CODES: {event: code} or {event: {locale: code}}; every event sent must have one."""

    def __init__(self, config: Mapping):
        self.codes = dict(config.get("SMS_TEMPLATE_CODES") or {})
        missing = [name for name in templates_sent() if not self.codes.get(name)]
        if missing:
            raise SmsMisconfigured(f"SMS_TEMPLATE_CODES: no template code for {', '.join(missing)}")

    def code(self, message: SmsMessage) -> str:
        entry = self.codes.get(event_name(message.template))
        if isinstance(entry, Mapping):
            entry = entry.get(message.locale) or entry.get("zh_CN") or next(iter(entry.values()), "")
        if not entry:
            raise SmsRefused(
                SmsOutcome.FIX_SETTINGS, "NO_TEMPLATE_CODE", f"SMS_TEMPLATE_CODES[{message.template}]"
            )
        return str(entry)


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    """(status, body); no answer (refused, reset, timed out) is a RETRY refusal."""
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SmsRefused(SmsOutcome.RETRY, "NO_ANSWER", type(exc).__name__) from None


def outcome_for(
    code: str, table: Mapping[str, SmsOutcome], default: SmsOutcome = SmsOutcome.RETRY
) -> SmsOutcome:
    """The outcome for a provider code: exact match first, then the longest matching "Prefix." entry."""
    if code in table:
        return table[code]
    prefixes = [p for p in table if p.endswith(".") and code.startswith(p)]
    return table[max(prefixes, key=len)] if prefixes else default
