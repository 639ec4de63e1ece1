"""The working-day calendar in the staff console (/staff/calendar, admins): the official arrangement of
each year, with who entered what and when; and the November warning when next year's is missing."""

import logging
import time
from datetime import date

from flask import Blueprint, Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from portal.accounts.guards import staff_required
from portal.accounts.models import StaffUser
from portal.accounts.roles import ADMIN_ROLES
from portal.cases.deadlines import shanghai_date
from portal.clock import utcnow
from portal.extensions import db
from portal.rendering import redirect_to, render
from portal.workdays import labels, services
from portal.workdays.forms import ConfirmForm, DayForm, RemoveForm
from portal.workdays.models import CalendarDay

bp = Blueprint("workdays", __name__, url_prefix="/staff/calendar")
log = logging.getLogger(__name__)
admin_required = staff_required(*ADMIN_ROLES)


@bp.record_once
def _fresh_process_state(_state) -> None:
    services.forget()  # a new app: its database may hold another arrangement than the last one's


@bp.before_app_request
def _refresh() -> None:
    try:
        services.refresh_if_stale(db.session, time.time())
    except SQLAlchemyError:
        # The database is down (or not migrated yet): keep what this process has; /healthz must still answer
        # and /readyz say why. The next request tries again.
        db.session.rollback()
        log.warning("working-day calendar not refreshed: database unavailable")


@bp.app_template_global()
def calendar_warning() -> int | None:
    """The year whose arrangement admins should enter now (November and December), for the staff banner."""
    if not (current_user.is_authenticated and current_user.is_staff and current_user.has_role(*ADMIN_ROLES)):
        return None
    return services.missing_year(db.session, shanghai_date(utcnow()))


@bp.get("/")
@admin_required
def calendar() -> Response:
    today = shanghai_date(utcnow())
    default = today.year + 1 if today.month >= services.WARN_FROM_MONTH else today.year
    year = request.args.get("year", default, type=int)
    return _page(year, DayForm(year=year), ConfirmForm(year=year))


@bp.post("/days")
@admin_required
def add_day() -> Response:
    form = DayForm()
    if not form.validate_on_submit():
        return _page(form.year.data or utcnow().year, form, ConfirmForm(year=form.year.data), status=422)
    try:
        services.add_day(
            db.session,
            form.year.data,
            form.day.data,
            form.kind.data,
            form.note.data or "",
            current_user.id,
            utcnow(),
        )
    except services.CalendarError as exc:
        form.day.errors = [str(labels.ERRORS[exc.code])]
        db.session.rollback()
        return _page(form.year.data, form, ConfirmForm(year=form.year.data), status=422)
    return _changed(form.year.data, form.day.data)


@bp.post("/days/<day>/remove")
@admin_required
def remove_day(day: str) -> Response:
    try:
        entry = db.session.get(CalendarDay, date.fromisoformat(day))
    except ValueError:
        entry = None
    if entry is None or not RemoveForm().validate_on_submit():
        flash(str(labels.ERRORS["not_entered"]), "error")
        return redirect_to(url_for("workdays.calendar"))
    year, when = entry.year, entry.day
    services.remove_day(db.session, when, current_user.id, utcnow())
    return _changed(year, when)


@bp.post("/confirm")
@admin_required
def confirm() -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(form.year.data or utcnow().year, DayForm(year=form.year.data), form, status=422)
    services.confirm_year(db.session, form.year.data, form.notice.data, current_user.id, utcnow())
    db.session.commit()
    flash(_("The arrangement of %(year)s is confirmed.", year=form.year.data), "success")
    return redirect_to(url_for("workdays.calendar", year=form.year.data))


def _changed(year: int, day: date) -> Response:
    """Commit, use the new arrangement in this process now, and say which open cases keep their deadlines."""
    db.session.commit()
    services.load(db.session, time.time())
    kept = services.open_cases_due_after(db.session, day)
    flash(_("Saved. Deadlines computed from now on use it."), "success")
    if kept:
        flash(
            _(
                "%(n)s open cases have deadlines on or after %(day)s that were computed before this change; "
                "they keep them (see the review queue).",
                n=kept,
                day=day.isoformat(),
            ),
            "warning",
        )
    return redirect_to(url_for("workdays.calendar", year=year))


def _page(year: int, day_form: DayForm, confirm_form: ConfirmForm, status: int = 200) -> Response:
    names = {user.id: user.display_name for user in db.session.scalars(db.select(StaffUser))}
    return render(
        "workdays/calendar.html",
        status=status,
        year=year,
        entries=services.entries(db.session, year),
        history=services.history(db.session, year),
        confirmation=services.confirmation(db.session, year),
        day_form=day_form,
        confirm_form=confirm_form,
        remove_form=RemoveForm(),
        names=names,
        kinds=labels.KIND_LABELS,
        actions=labels.ACTION_LABELS,
    )
