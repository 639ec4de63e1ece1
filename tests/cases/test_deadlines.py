"""Working-day deadlines on the Chinese calendar (holidays and make-up days), naive UTC in and out.

Calendar facts below come from the `holidays` package data (official notice for 2026; for 2027
the package only estimates holidays and knows no make-up days yet). If a newer package brings the
official 2027 arrangement, the 2027 tests must be updated to match it.
"""

from datetime import date, datetime, timedelta

import pytest

from portal.cases import deadlines
from portal.cases.deadlines import (
    add_working_days,
    appeal_due,
    arrival_window,
    end_of_day_utc,
    is_working_day,
    nth_working_day_after,
    payout_start_due,
    review_due,
    shanghai_date,
)

REVIEW_DAYS = 3  # the default policy's review time (portal/policy/defaults.py)


def sh(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time as naive UTC (Shanghai is UTC+8 all year)."""
    return datetime(y, m, d, hh, mm) - timedelta(hours=8)


def due(y: int, m: int, d: int) -> datetime:
    """23:59:59 Shanghai on that day, as naive UTC."""
    return datetime(y, m, d, 15, 59, 59)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 30), True),  # Monday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),  # National Day week (moved from Sat 10-10)
        (date(2026, 9, 20), True),  # Sunday make-up working day for National Day 2026
        (date(2026, 10, 10), True),  # Saturday make-up working day for National Day 2026
        (date(2026, 2, 14), True),  # Saturday make-up working day for Spring Festival 2026
        (date(2026, 2, 23), False),  # last day of Spring Festival 2026 (moved from Sat 02-28)
        (date(2026, 2, 28), True),  # Saturday make-up working day
        (date(2026, 1, 4), True),  # Sunday make-up working day for New Year 2026
        (date(2027, 2, 9), False),  # Spring Festival 2027 (package estimate)
        (date(2027, 10, 5), False),  # National Day 2027 (package estimate)
        (date(2001, 12, 29), True),  # make-up Saturday listed in the NEXT year's (2002) notice
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_local_date_is_shanghai_not_utc():
    assert shanghai_date(datetime(2026, 11, 30, 15, 59)) == date(2026, 11, 30)
    assert shanghai_date(datetime(2026, 11, 30, 16, 0)) == date(2026, 12, 1)
    assert end_of_day_utc(date(2026, 12, 3)) == datetime(2026, 12, 3, 15, 59, 59)


def test_plain_week_the_start_day_does_not_count():
    assert add_working_days(sh(2026, 11, 30), 3) == due(2026, 12, 3)  # Mon -> Thu
    assert add_working_days(sh(2026, 11, 30, 0, 1), 1) == due(2026, 12, 1)


def test_weekend_is_skipped():
    assert review_due(sh(2026, 12, 4), REVIEW_DAYS) == due(2026, 12, 9)  # Fri -> Mon, Tue, Wed


def test_start_at_2330_shanghai_is_still_that_local_day():
    # 23:30 Shanghai Monday is 15:30 UTC Monday; 00:30 Shanghai Tuesday is still Monday in UTC.
    assert review_due(sh(2026, 11, 30, 23, 30), REVIEW_DAYS) == due(2026, 12, 3)
    assert review_due(sh(2026, 12, 1, 0, 30), REVIEW_DAYS) == due(2026, 12, 4)
    assert sh(2026, 12, 1, 0, 30).date() == date(2026, 11, 30)


def test_national_day_2026_with_make_up_saturday():
    # Oct 1-7 off; Thu 10-08, Fri 10-09, then Sat 10-10 is a working day.
    assert review_due(sh(2026, 9, 30), REVIEW_DAYS) == due(2026, 10, 10)


def test_make_up_sunday_before_national_day_2026_counts():
    # Fri 09-18: Sun 09-20 (make-up) is day 1, then Mon 09-21, Tue 09-22.
    assert review_due(sh(2026, 9, 18), REVIEW_DAYS) == due(2026, 9, 22)


def test_start_on_a_holiday_counts_from_the_next_working_day():
    assert review_due(sh(2026, 10, 3, 12), REVIEW_DAYS) == due(2026, 10, 10)
    assert add_working_days(sh(2026, 10, 3, 12), 1) == due(2026, 10, 8)


def test_start_on_a_make_up_saturday():
    assert review_due(sh(2026, 10, 10), REVIEW_DAYS) == due(2026, 10, 14)  # Mon, Tue, Wed


def test_spring_festival_2026():
    # Fri 02-13: Sat 02-14 is a make-up working day, 02-15..02-23 off, then Tue 02-24, Wed 02-25.
    assert review_due(sh(2026, 2, 13), REVIEW_DAYS) == due(2026, 2, 25)


def test_spring_festival_2027_package_estimate():
    # Package data: 02-05 (eve) .. 02-10 off, no make-up days known. Thu 02-04 -> Thu 11, Fri 12, Mon 15.
    assert review_due(sh(2027, 2, 4), REVIEW_DAYS) == due(2027, 2, 15)


def test_national_day_2027_package_estimate():
    # Package data: 10-01 .. 10-05 off. Thu 09-30 -> Wed 10-06, Thu 10-07, Fri 10-08.
    assert review_due(sh(2027, 9, 30), REVIEW_DAYS) == due(2027, 10, 8)


def test_year_end_crossing():
    # Thu 2026-12-31: 2027-01-01 is New Year's Day; Mon 01-04, Tue 01-05, Wed 01-06.
    assert review_due(sh(2026, 12, 31), REVIEW_DAYS) == due(2027, 1, 6)


def test_nth_working_day_rejects_non_positive_n():
    with pytest.raises(ValueError):
        nth_working_day_after(date(2026, 11, 30), 0)


def test_clock_hour_deadlines_ignore_holidays():
    at = sh(2026, 10, 1, 9)
    assert appeal_due(at) == at + timedelta(hours=24)
    assert payout_start_due(at) == at + timedelta(hours=24)
    assert deadlines.support_answer_due(at) == at + timedelta(hours=24)
    assert deadlines.green_request_due(at) == at + timedelta(hours=24)


def test_platform_deadlines_count_working_days():
    at = sh(2026, 9, 30)  # National Day follows: Thu 10-08, Fri 10-09, Sat 10-10 (make-up), ...
    assert deadlines.green_channel_review_due(at) == due(2026, 10, 8)
    assert deadlines.resumed_review_due(at) == due(2026, 10, 8)
    assert deadlines.re_review_due(at) == due(2026, 10, 8)
    assert deadlines.more_evidence_due(at) == due(2026, 10, 10)
    assert deadlines.arbitration_due(at) == add_working_days(at, deadlines.ARBITRATION_WORKING_DAYS)


@pytest.mark.parametrize(
    ("route", "earliest", "latest"),
    [
        # The source: 一般1-5个工作日, whatever the route.
        ("alipay", due(2026, 12, 7), due(2026, 12, 11)),
        ("wechat", due(2026, 12, 7), due(2026, 12, 11)),
        ("bank_card", due(2026, 12, 7), due(2026, 12, 11)),
        ("offline", due(2026, 12, 7), due(2026, 12, 11)),
    ],
)
def test_arrival_window_by_route(route, earliest, latest):
    assert arrival_window(sh(2026, 12, 4), route) == (earliest, latest)


def test_arrival_window_unknown_route():
    with pytest.raises(ValueError):
        arrival_window(sh(2026, 12, 4), "paypal")


def test_the_official_arrangement_overrides_the_package():
    try:
        deadlines.use_arrangement(frozenset({date(2027, 2, 11)}), frozenset({date(2027, 2, 20)}))
        assert is_working_day(date(2027, 2, 20))
        assert not is_working_day(date(2027, 2, 11))
    finally:
        deadlines.use_arrangement(frozenset(), frozenset())
