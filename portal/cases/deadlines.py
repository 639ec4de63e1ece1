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

# Every deadline length lives here or in the policy data, nowhere else (tests/cases/test_deadline_homes.py
# checks). The review itself takes the policy's review_working_days (global, or per rule): publish a policy
# version to change it. docs/architecture.md, "Where numbers live".

# The source's numbers (docs/policy.md, "The source's numbers and the platform's choices").
APPEAL_RESPONSE = timedelta(hours=24)  # 申诉 24小时内响应
PAYOUT_START = timedelta(hours=24)  # 审核通过后24小时内启动退款
SUPPORT_ANSWER = timedelta(hours=24)  # 客服团队需在24小时内响应 (conversations and complaints)

# Working days a refund takes to arrive, (earliest, latest), by original payment route. The source says
# 一般1-5个工作日 for every route; a faster figure belongs here only once a provider's contract promises it.
ARRIVAL_WORKING_DAYS: dict[PaymentRoute, tuple[int, int]] = {
    PaymentRoute.ALIPAY: (1, 5),
    PaymentRoute.WECHAT: (1, 5),
    PaymentRoute.BANK_CARD: (1, 5),
    PaymentRoute.OFFLINE: (1, 5),
}

# Platform choices: the source gives no number for these. Each is listed with its reason in the policy
# data's platform_choices (portal/policy/defaults.py) and in docs/policy.md.
# When the customer may expect third-party arbitration's outcome; the arbitrator keeps their own time.
ARBITRATION_WORKING_DAYS = 10
# Time the customer has to add the evidence a reviewer asked for.
MORE_EVIDENCE_WORKING_DAYS = 3
# A case in the green channel (绿色通道) is reviewed within this many working days of its submission.
GREEN_CHANNEL_REVIEW_WORKING_DAYS = 1
# A review deadline that passed while the customer gathered evidence (or whose evidence time ran out)
# restarts from then with at least this many working days.
RESUMED_REVIEW_WORKING_DAYS = 1
# An appeal sent back for a new review is reviewed within this many working days.
RE_REVIEW_WORKING_DAYS = 1
# Seniors answer a customer's request for priority (the green channel) within these clock hours.
GREEN_REQUEST_ANSWER = timedelta(hours=24)

# The clock-hour promises as the pages name them ("within %(hours)s hours"), so a text never says 24 itself.
PROMISED_HOURS: dict[str, int] = {
    "appeal": APPEAL_RESPONSE // timedelta(hours=1),
    "payout": PAYOUT_START // timedelta(hours=1),
    "support": SUPPORT_ANSWER // timedelta(hours=1),
    "green_request": GREEN_REQUEST_ANSWER // timedelta(hours=1),
}
# The working-day lengths the pages name (the review's own days come from the policy).
PROMISED_WORKING_DAYS: dict[str, int] = {
    "green_channel": GREEN_CHANNEL_REVIEW_WORKING_DAYS,
    "more_evidence": MORE_EVIDENCE_WORKING_DAYS,
    "arbitration": ARBITRATION_WORKING_DAYS,
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


def review_due(submitted_at: datetime, working_days: int) -> datetime:
    """When staff must have reviewed a case: the policy's review working days after submission."""
    return add_working_days(submitted_at, working_days)


def green_channel_review_due(submitted_at: datetime) -> datetime:
    """When a case in the green channel must have been reviewed."""
    return add_working_days(submitted_at, GREEN_CHANNEL_REVIEW_WORKING_DAYS)


def resumed_review_due(now: datetime) -> datetime:
    """The earliest review deadline of a case whose review goes on after the customer's evidence time."""
    return add_working_days(now, RESUMED_REVIEW_WORKING_DAYS)


def re_review_due(now: datetime) -> datetime:
    """When the new review of an appeal sent back for one must be done."""
    return add_working_days(now, RE_REVIEW_WORKING_DAYS)


def more_evidence_due(requested_at: datetime) -> datetime:
    """When the customer's time to add requested evidence ends."""
    return add_working_days(requested_at, MORE_EVIDENCE_WORKING_DAYS)


def arbitration_due(escalated_at: datetime) -> datetime:
    """When the customer may expect third-party arbitration's outcome."""
    return add_working_days(escalated_at, ARBITRATION_WORKING_DAYS)


def support_answer_due(asked_at: datetime) -> datetime:
    """When customer service must have answered a conversation or a complaint: 24 clock hours."""
    return asked_at + SUPPORT_ANSWER


def green_request_due(requested_at: datetime) -> datetime:
    """When a senior must have answered a request for priority."""
    return requested_at + GREEN_REQUEST_ANSWER


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
