"""Case deadlines in Chinese working days (工作日), statutory holidays and make-up days (调休) included.

All datetimes in and out are naive UTC (as stored in the database). Working-day arithmetic is done
on Asia/Shanghai local dates, because a "working day" is a day of the calendar in China.

Counting rule (次日起算): the day a period starts never counts, whether or not it is a working day.
Day 1 is the first working day after the start's Shanghai date, and a deadline of n working days
ends at 23:59:59 Shanghai time on day n. So a case submitted on a Monday with 3 working days is due
Thursday 23:59:59; one submitted on a holiday or weekend starts counting at the next working day
(that day is day 1).

The calendar comes from the `holidays` package. It only knows an official arrangement once the
State Council has published it and the package has caught up (holidays 0.109 knows 2026; for
2027 it estimates the holidays and knows no make-up working days). The official arrangement that admins
enter in the staff console (portal/workdays) overrides it: `use_arrangement` hands this module those
entries (days off, make-up working days), and they win over the package.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from portal.orders.kinds import PaymentRoute

SHANGHAI = ZoneInfo("Asia/Shanghai")

REVIEW_WORKING_DAYS = 3
# When the customer may expect third-party arbitration's outcome. The source gives no time for it: a
# platform choice (listed in the policy data's platform_choices); the arbitrator keeps their own time.
ARBITRATION_WORKING_DAYS = 10
APPEAL_RESPONSE = timedelta(hours=24)
PAYOUT_START = timedelta(hours=24)

# Working days a refund takes to arrive, (earliest, latest), by original payment route. The source says
# 一般1-5个工作日 for every route; a faster figure belongs here only once a provider's contract promises it.
ARRIVAL_WORKING_DAYS: dict[PaymentRoute, tuple[int, int]] = {
    PaymentRoute.ALIPAY: (1, 5),
    PaymentRoute.WECHAT: (1, 5),
    PaymentRoute.BANK_CARD: (1, 5),
    PaymentRoute.OFFLINE: (1, 5),
}

# The official arrangement entered by admins (portal/workdays loads it from the database).
_days_off: frozenset[date] = frozenset()
_workdays: frozenset[date] = frozenset()

_END_OF_DAY = time(23, 59, 59)
# A make-up working day may belong to the neighbouring year's arrangement (e.g. a Sunday in late
# December for New Year's Day), so a date's year and both neighbours must be loaded.
_CALENDAR = holidays.China(years=range(2020, 2036))


def _ensure_loaded(year: int) -> None:
    for y in (year - 1, year, year + 1):
        if y not in _CALENDAR.years:
            # Membership tests on an expanding calendar load the whole year, make-up days included.
            _ = date(y, 1, 1) in _CALENDAR


def use_arrangement(days_off: frozenset[date], workdays: frozenset[date]) -> None:
    """Take the official arrangement's entries (they override the package from now on in this process)."""
    global _days_off, _workdays
    _days_off, _workdays = frozenset(days_off), frozenset(workdays)


def is_working_day(d: date) -> bool:
    """Whether `d` is a working day in mainland China (weekday not on holiday, or a make-up day)."""
    if d in _workdays:
        return True
    if d in _days_off:
        return False
    _ensure_loaded(d.year)
    return _CALENDAR.is_working_day(d)


def shanghai_date(at_utc: datetime) -> date:
    """The Shanghai calendar date of a naive UTC instant."""
    return at_utc.replace(tzinfo=UTC).astimezone(SHANGHAI).date()


def end_of_day_utc(d: date) -> datetime:
    """23:59:59 Shanghai time on `d`, as naive UTC."""
    return datetime.combine(d, _END_OF_DAY, tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def nth_working_day_after(d: date, n: int) -> date:
    """The n-th working day strictly after `d` (n >= 1)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    while n:
        d += timedelta(days=1)
        n -= is_working_day(d)
    return d


def add_working_days(start_utc: datetime, n: int) -> datetime:
    """End (23:59:59 Shanghai, as naive UTC) of the n-th working day after the start's Shanghai date."""
    return end_of_day_utc(nth_working_day_after(shanghai_date(start_utc), n))


def add_hours(start_utc: datetime, hours: float) -> datetime:
    """Start plus clock hours; holidays do not stop the clock (24-hour promises are literal)."""
    return start_utc + timedelta(hours=hours)


def working_days_between(a_utc: datetime, b_utc: datetime) -> int:
    """Working days d with date(a) < d <= date(b), in Shanghai dates; 0 when b is not after a."""
    start, end = shanghai_date(a_utc), shanghai_date(b_utc)
    return sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def review_due(submitted_at: datetime, working_days: int = REVIEW_WORKING_DAYS) -> datetime:
    """When staff must have reviewed a case (default: 3 working days)."""
    return add_working_days(submitted_at, working_days)


def appeal_due(appealed_at: datetime) -> datetime:
    """When staff must have answered an appeal: 24 clock hours."""
    return appealed_at + APPEAL_RESPONSE


def payout_start_due(approved_at: datetime) -> datetime:
    """When the payout must have started after approval: 24 clock hours."""
    return approved_at + PAYOUT_START


def arrival_window(started_at: datetime, route: str) -> tuple[datetime, datetime]:
    """Expected arrival (earliest, latest) of a payout started at `started_at`, both end-of-day."""
    low, high = ARRIVAL_WORKING_DAYS[PaymentRoute(route)]
    return add_working_days(started_at, low), add_working_days(started_at, high)
