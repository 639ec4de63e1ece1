"""Enter, remove and confirm the official arrangement; hand it to the deadlines module (no Flask).

Every process keeps the arrangement in memory and reads it again at most every REFRESH_SECONDS (a platform
choice: an admin's change reaches every web and worker process within a minute; the process that made the
change uses it at once).

Deadlines already computed are NOT moved: a case stores its due dates when they are set (the customer was
told them), and a later change of the calendar applies to deadlines computed after it. `open_cases_due_after`
tells the admin how many open cases hold a deadline on or after the changed day, so staff can look at them.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.cases import deadlines
from portal.cases.models import RefundCase
from portal.workdays.models import CalendarChange, CalendarDay, CalendarYear

KINDS = ("day_off", "workday")
REFRESH_SECONDS = 60
WARN_FROM_MONTH = 11  # from November, next year's arrangement is expected (the notice comes in Q4)


class CalendarError(ValueError):
    """A refused entry; ``code`` is a key of the labels module."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class _Loaded:
    at: float = float("-inf")


_loaded = _Loaded()


def load(session: Session, now: float) -> None:
    """Read every entry and hand them to the deadlines module."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    deadlines.use_arrangement(
        frozenset(day for day, kind in rows if kind == "day_off"),
        frozenset(day for day, kind in rows if kind == "workday"),
    )
    _loaded.at = now


def refresh_if_stale(session: Session, now: float) -> None:
    if now - _loaded.at >= REFRESH_SECONDS:
        load(session, now)


def forget() -> None:
    """Drop what this process holds (a new app: its database may hold another arrangement)."""
    deadlines.use_arrangement(frozenset(), frozenset())
    _loaded.at = float("-inf")


def add_day(
    session: Session, year: int, day: date, kind: str, note: str, staff_id: int, now: datetime
) -> None:
    """Enter one date of ``year``'s arrangement (a make-up working day may fall in the December before)."""
    if kind not in KINDS:
        raise CalendarError("bad_kind")
    if day.year not in (year, year - 1) or (day.year == year - 1 and day.month != 12):
        raise CalendarError("outside_year")
    if session.get(CalendarDay, day) is not None:
        raise CalendarError("already_entered")
    session.add(CalendarDay(day=day, year=year, kind=kind, note=note.strip()[:64], entered_by_id=staff_id))
    session.add(
        CalendarChange(
            year=year, action="added", day=day, kind=kind, note=note.strip()[:64], staff_id=staff_id, at=now
        )
    )


def remove_day(session: Session, day: date, staff_id: int, now: datetime) -> None:
    entry = session.get(CalendarDay, day)
    if entry is None:
        raise CalendarError("not_entered")
    session.add(
        CalendarChange(
            year=entry.year,
            action="removed",
            day=day,
            kind=entry.kind,
            note=entry.note,
            staff_id=staff_id,
            at=now,
        )
    )
    session.delete(entry)


def confirm_year(session: Session, year: int, notice: str, staff_id: int, now: datetime) -> None:
    """Record that ``year``'s entries match the official notice (ends the November warning)."""
    confirmed = session.get(CalendarYear, year) or CalendarYear(year=year)
    confirmed.notice, confirmed.confirmed_by_id, confirmed.confirmed_at = notice.strip()[:128], staff_id, now
    session.add(confirmed)
    session.add(
        CalendarChange(year=year, action="confirmed", note=notice.strip()[:128], staff_id=staff_id, at=now)
    )


def entries(session: Session, year: int) -> list[CalendarDay]:
    return list(
        session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day))
    )


def history(session: Session, year: int) -> list[CalendarChange]:
    query = select(CalendarChange).where(CalendarChange.year == year).order_by(CalendarChange.id.desc())
    return list(session.scalars(query))


def confirmation(session: Session, year: int) -> CalendarYear | None:
    return session.get(CalendarYear, year)


def missing_year(session: Session, today: date) -> int | None:
    """Next year, when it is November or December and nobody has confirmed next year's arrangement."""
    if today.month < WARN_FROM_MONTH:
        return None
    return None if session.get(CalendarYear, today.year + 1) else today.year + 1


def open_cases_due_after(session: Session, day: date) -> int:
    """Open cases holding a deadline on or after ``day`` (Shanghai); their stored deadlines stay."""
    before = deadlines.end_of_day_utc(day - timedelta(days=1))
    return session.scalar(
        select(func.count())
        .select_from(RefundCase)
        .where(
            RefundCase.is_open.is_(True),
            or_(RefundCase.review_due_at > before, RefundCase.step_due_at > before),
        )
    )
