"""Entries of the official arrangement, the years an admin has confirmed, and who changed what when."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class CalendarDay(db.Model):
    """A date the official arrangement makes a day off or a make-up working day; it wins over the package."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(
        index=True
    )  # the arrangement it belongs to (a make-up day may be in December)
    kind: Mapped[str] = mapped_column(String(16))  # day_off, workday
    note: Mapped[str] = mapped_column(String(64), default="")  # e.g. 春节
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarYear(db.Model):
    """An admin has checked the year's arrangement against the State Council's notice."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    notice: Mapped[str] = mapped_column(String(128), default="")  # the notice's number or title
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarChange(db.Model):
    """History: every entry added or removed and every confirmation, with who and when."""

    __tablename__ = "calendar_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(16))  # added, removed, confirmed
    day: Mapped[date | None]
    kind: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(String(128), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
