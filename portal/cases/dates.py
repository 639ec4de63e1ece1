"""Times as customers read them: Shanghai local time, in their language (Babel's CLDR patterns)."""

from datetime import UTC, datetime

from babel.dates import format_skeleton

from portal.cases.deadlines import SHANGHAI

_BABEL_LOCALE = {"zh_CN": "zh_Hans_CN", "en": "en"}


def _local(at_utc: datetime) -> datetime:
    return at_utc.replace(tzinfo=UTC).astimezone(SHANGHAI)


def _babel_locale(locale: str) -> str:
    return _BABEL_LOCALE.get(locale, locale)


def local_date(at_utc: datetime, locale: str, with_year: bool = False) -> str:
    """'11月30日' / 'Nov 30' (with the year: '2026年11月30日' / 'Nov 30, 2026') for a naive UTC instant."""
    skeleton = "yMMMd" if with_year else "MMMd"
    return format_skeleton(skeleton, _local(at_utc), locale=_babel_locale(locale))


def local_time(at_utc: datetime, locale: str) -> str:
    """'23:59' in Shanghai for a naive UTC instant."""
    return format_skeleton("Hm", _local(at_utc), locale=_babel_locale(locale))


def local_datetime(at_utc: datetime, locale: str, with_year: bool = False) -> str:
    """Date and time in Shanghai, e.g. '11月30日 14:05' / 'Nov 30 14:05'."""
    return f"{local_date(at_utc, locale, with_year)} {local_time(at_utc, locale)}"


def is_end_of_day(at_utc: datetime) -> bool:
    """True for deadlines that end a Shanghai day (23:59): showing the date alone is then enough."""
    local = _local(at_utc)
    return (local.hour, local.minute) == (23, 59)


def local_deadline(at_utc: datetime, locale: str, with_year: bool = False) -> str:
    """A deadline: the date for end-of-day deadlines, date and time for clock-hour ones."""
    if is_end_of_day(at_utc):
        return local_date(at_utc, locale, with_year)
    return local_datetime(at_utc, locale, with_year)
