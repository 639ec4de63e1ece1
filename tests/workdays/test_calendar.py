"""The working-day calendar as data: admins enter the official arrangement, deadlines follow it, open cases
keep the deadlines they were given, and the console warns from November when next year is missing."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.accounts.models import StaffRole
from portal.cases import deadlines
from portal.orders.kinds import PaymentRoute
from portal.workdays import services
from portal.workdays.models import CalendarChange, CalendarDay
from tests.factories import make_case, make_order, sign_in_staff
from tests.factories import new_staff as staff_user


@pytest.fixture
def admin(app, db, client):
    staff_user("admin", StaffRole.ADMIN)
    staff_user("senior", StaffRole.SENIOR)
    db.session.commit()
    sign_in_staff(client, app, "admin")
    return client


def add(client, day: str, kind: str = "day_off", year: int = 2027, note: str = "春节"):
    return client.post(
        "/staff/calendar/days?lang=en", data={"year": year, "day": day, "kind": kind, "note": note}
    )


def test_only_admins(app, db, client):
    staff_user("senior", StaffRole.SENIOR)
    db.session.commit()
    sign_in_staff(client, app, "senior")
    assert client.get("/staff/calendar/").status_code == 403
    assert add(client, "2027-02-11").status_code == 403


def test_an_entry_changes_the_working_days_at_once(admin, db):
    # 2027-02-11 is a Thursday; the package knows no official 2027 arrangement.
    assert deadlines.is_working_day(date(2027, 2, 11))
    assert add(admin, "2027-02-11").status_code == 303
    assert add(admin, "2027-02-20", "workday", note="春节调休").status_code == 303  # a Saturday
    assert not deadlines.is_working_day(date(2027, 2, 11))
    assert deadlines.is_working_day(date(2027, 2, 20))
    page = admin.get("/staff/calendar/?year=2027&lang=en").get_data(as_text=True)
    assert "2027-02-11" in page and "Make-up working day" in page and "admin added" in page


def test_entries_reach_another_process_through_the_database(admin, db):
    add(admin, "2027-03-01")
    services.forget()  # as a process that has not read them yet
    assert deadlines.is_working_day(date(2027, 3, 1))
    services.refresh_if_stale(db.session, 10**12)
    assert not deadlines.is_working_day(date(2027, 3, 1))


def test_refused_entries_say_why(admin):
    response = add(admin, "2025-06-01")
    assert response.status_code == 422 and "must be in that year" in response.get_data(as_text=True)
    assert add(admin, "2026-12-27", "workday").status_code == 303  # the December before: a make-up day
    add(admin, "2027-02-11")
    response = add(admin, "2027-02-11", "workday")
    assert response.status_code == 422 and "already entered" in response.get_data(as_text=True)
    assert add(admin, "", "day_off").status_code == 422


def test_remove_and_history(admin, db):
    add(admin, "2027-02-11")
    assert admin.post("/staff/calendar/days/2027-02-11/remove").status_code == 303
    assert db.session.get(CalendarDay, date(2027, 2, 11)) is None
    assert deadlines.is_working_day(date(2027, 2, 11))
    actions = db.session.scalars(select(CalendarChange.action).order_by(CalendarChange.id)).all()
    assert actions == ["added", "removed"]
    assert (
        admin.post("/staff/calendar/days/2027-02-12/remove").status_code == 303
    )  # nothing to remove: no 500
    assert admin.post("/staff/calendar/days/not-a-date/remove").status_code == 303


def test_open_cases_keep_their_deadlines_and_the_admin_is_told(admin, db):
    case = make_case(make_order(PaymentRoute.ALIPAY, 1000))
    case.review_due_at = deadlines.end_of_day_utc(date(2027, 2, 12))
    db.session.commit()
    response = add(admin, "2027-02-11")
    assert response.status_code == 303
    page = admin.get("/staff/calendar/?year=2027&lang=en").get_data(as_text=True)
    assert "1 open cases have deadlines on or after 2027-02-11" in page
    db.session.refresh(case)
    assert case.review_due_at == deadlines.end_of_day_utc(date(2027, 2, 12))  # not moved
    # A deadline computed now does use it: Wednesday 10 Feb + 3 working days skips the 11th.
    assert deadlines.review_due(datetime(2027, 2, 10, 2, 0), 3) == deadlines.end_of_day_utc(date(2027, 2, 16))


def test_november_warning_until_next_year_is_confirmed(admin, db, monkeypatch):
    monkeypatch.setattr("portal.workdays.views.utcnow", lambda: datetime(2026, 10, 30, 4, 0))
    assert "not entered yet" not in admin.get("/staff/calendar/?lang=en").get_data(as_text=True)
    monkeypatch.setattr("portal.workdays.views.utcnow", lambda: datetime(2026, 11, 2, 4, 0))
    page = admin.get("/staff/payouts?lang=en").get_data(as_text=True)
    assert "The working-day arrangement of 2027 is not entered yet" in page
    response = admin.post(
        "/staff/calendar/confirm?lang=en", data={"year": 2027, "notice": "国办发明电〔2026〕1号"}
    )
    assert response.status_code == 303
    page = admin.get("/staff/calendar/?year=2027&lang=en").get_data(as_text=True)
    assert "not entered yet" not in page and "国办发明电〔2026〕1号" in page


def test_reviewers_do_not_see_the_warning(app, db, client, monkeypatch):
    monkeypatch.setattr("portal.workdays.views.utcnow", lambda: datetime(2026, 11, 2, 4, 0))
    staff_user("senior", StaffRole.SENIOR)
    db.session.commit()
    sign_in_staff(client, app, "senior")
    assert "not entered yet" not in client.get("/staff/payouts?lang=en").get_data(as_text=True)
