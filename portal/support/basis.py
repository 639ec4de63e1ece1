"""'Answer with the basis': the facts a reply about a case rests on, in the customer's language."""

from flask_babel import force_locale, gettext

from portal.cases.labels import reason_label
from portal.cases.models import RefundCase
from portal.money import format_fen
from portal.staff import casefile
from portal.staff.labels import STATE


def basis_text(case: RefundCase, lang: str) -> str:
    """The case's decision, the rule (clause) and policy version it relied on, and the evidence checked."""
    version = casefile.policy_of(case)
    items = casefile.checklist_labels(case, version, lang)
    files = [f for f in case.evidence if f.removed_at is None]
    with force_locale(lang):
        lines = [
            gettext("Refund request %(number)s: %(state)s.", number=case.number, state=str(STATE[case.state]))
        ]
        if case.approved_fen is not None:
            lines.append(gettext("Approved amount: %(amount)s.", amount=format_fen(case.approved_fen)))
        if case.decision_reason_code:
            lines.append(gettext("Reason: %(reason)s.", reason=reason_label(case.decision_reason_code)))
        if case.decision_note:
            lines.append(gettext("Reviewer's note: %(note)s", note=case.decision_note))
        lines.append(gettext("Rule applied: %(clause)s.", clause=case.clause))
        if version is not None:
            published = version.published_at.strftime("%Y-%m-%d") if version.published_at else "—"
            lines.append(
                gettext("Policy version: %(id)s (published %(date)s).", id=version.id, date=published)
            )
        if files:
            checked = "; ".join(items.get(f.checklist_key, f.checklist_key) for f in files)
            lines.append(gettext("Evidence checked: %(files)s.", files=checked))
        else:
            lines.append(gettext("Evidence checked: none was needed."))
    return "\n".join(lines)
