"""The review deadline stored on a submitted case counts Chinese working days across the long holidays."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.cases.models import RefundCase
from portal.demo.builder import build
from tests.factories import open_case_for

SHANGHAI, UTC = ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")


@pytest.mark.parametrize(
    "submitted_shanghai,days,due_shanghai_date",
    [
        # Thu before the Spring Festival: Fri 13, make-up Sat 14, then nine days off; day 3 is Tue 24.
        ("2026-02-12 10:00", 3, "2026-02-24"),
        # Submitted on the make-up Saturday: that day does not count (次日起算): 24, 25, 26.
        ("2026-02-14 10:00", 3, "2026-02-26"),
        # Tue before National Day: Wed 30, then Oct 1-7 off; Thu 8, Fri 9.
        ("2026-09-29 10:00", 3, "2026-10-09"),
        # Wed 30 Sep: Thu 8, Fri 9, make-up Sat 10.
        ("2026-09-30 10:00", 3, "2026-10-10"),
        # Late at night in Shanghai is still the previous day in UTC: Shanghai's date counts.
        ("2026-02-12 23:30", 3, "2026-02-24"),
        # One-working-day rules: the make-up Saturday is the next working day after Fri 13.
        ("2026-02-13 10:00", 1, "2026-02-14"),
        ("2026-09-30 10:00", 1, "2026-10-08"),
    ],
)
def test_stored_review_due_at(app, db, monkeypatch, submitted_shanghai, days, due_shanghai_date):
    from portal.cases import services

    local = datetime.fromisoformat(submitted_shanghai).replace(tzinfo=SHANGHAI)
    now = local.astimezone(UTC).replace(tzinfo=None)
    build(now=now)
    monkeypatch.setattr(services, "utcnow", lambda: now)
    case = db.session.get(RefundCase, open_case_for(1, refund_type=None, review_days=days).id)
    assert not case.green_channel
    due_local = case.review_due_at.replace(tzinfo=UTC).astimezone(SHANGHAI)
    assert due_local.strftime("%Y-%m-%d %H:%M:%S") == f"{due_shanghai_date} 23:59:59"
    assert case.step_due_at == case.review_due_at
