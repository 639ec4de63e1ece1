"""What the policy editor calls things: its errors and the parts of a version in a diff (English msgids)."""

from portal.i18n import lazy_gettext as _l
from portal.orders.kinds import Category, Usage
from portal.orders.labels import CATEGORY, USAGE
from portal.policy.kinds import RefundType
from portal.policy.labels import REFUND_TYPE_LABELS

# Why a policy action cannot be done (services.PolicyEditError codes).
ERRORS = {
    "not_a_draft": _l("This version has been published and can no longer be changed; start a new draft."),
    "already_current": _l("This version is already the one customers see."),
    "not_published_before": _l("Only a version that was published before can be restored."),
}


def error_message(code: str) -> str:
    """What the editor is told for a PolicyEditError code."""
    return str(ERRORS.get(code, code))


YES_NO = {True: _l("yes"), False: _l("no")}
LANG_NAMES = {"zh_CN": "中文", "en": "English"}
# The parts of a policy version's path, as the diff names them.
PARTS = {
    "rules": _l("Rules"),
    "texts": _l("Texts"),
    "_summaries": _l("Category summary"),
    "hint": _l("Hint"),
    "checklist": _l("Checklist"),
    "evidence": _l("Evidence"),
    "required": _l("Required"),
    "kinds": _l("File kinds"),
    "amounts": _l("Amounts"),
    "method": _l("Method"),
    "percent": _l("Percent"),
    "condition": _l("Only when reported"),
    "allowed": _l("Offered"),
    "conditions": _l("Conditions"),
    "unactivated_days": _l("Days without activation"),
    "trial": _l("Trial only"),
    "trial_days": _l("Trial days"),
    "refuse_if_credited": _l("Refused once credited"),
    "refuse_while_pending": _l("Refused while the result is pending"),
    "reason_required": _l("Reason required"),
    "open_on_failure": _l("Opened for the customer when delivery fails"),
    "auto_approve_statuses": _l("Automatic approval on"),
    "review_working_days": _l("Review working days"),
    "green_channel_fen": _l("Green-channel amount"),
    "final_decision_closes_type": _l("No new request of the same type after a final decision"),
    "phone_news": _l("News sent to the phone"),
    "events": _l("Events"),
    "coalesce_seconds": _l("Coalescing window (seconds)"),
    "schema": _l("Schema"),
}


def part_label(part: str) -> str:
    """What a part of a policy path (a language, category, type, usage or key) is called."""
    if part in LANG_NAMES:
        return LANG_NAMES[part]
    if part in {c.value for c in Category}:
        return str(CATEGORY[Category(part)])
    if part in {t.value for t in RefundType}:
        return str(REFUND_TYPE_LABELS[RefundType(part)])
    if part in {u.value for u in Usage}:
        return str(USAGE[Usage(part)])
    if part in PARTS:
        return str(PARTS[part])
    return part
