"""Translatable labels of the calendar pages."""

from portal.i18n import lazy_gettext as _l

KIND_LABELS = {"day_off": _l("Day off (holiday)"), "workday": _l("Make-up working day")}
ACTION_LABELS = {"added": _l("added"), "removed": _l("removed"), "confirmed": _l("confirmed the year")}
ERRORS = {
    "bad_kind": _l("Choose a day off or a make-up working day."),
    "outside_year": _l(
        "The date must be in that year (a make-up working day may be in the December before)."
    ),
    "already_entered": _l("That date is already entered; remove it first to change it."),
    "not_entered": _l("That date is not entered."),
}
