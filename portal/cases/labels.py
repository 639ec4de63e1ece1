"""What the case core calls things, in the customer's and the reviewer's words (English msgids).

退款进度's steps and texts, decision reasons (chosen by reviewers, or set by the system) and risk flags
are the case's own vocabulary; the core stores codes and states, and the pages translate them here.
"""

from collections.abc import Mapping
from typing import Any

from portal.cases.states import CaseState, TimelineStep
from portal.i18n import lazy_gettext as _l

# 退款进度: the timeline's steps and states, what each says done, now and next, and its deadlines
# (cases.progress fills in the parameters).
STEP_LABELS: Mapping[TimelineStep, Any] = {
    TimelineStep.SUBMITTED: _l("Submitted"),
    TimelineStep.EVIDENCE_RECEIVED: _l("Evidence received"),
    TimelineStep.UNDER_REVIEW: _l("Responsibility review"),
    TimelineStep.DECISION: _l("Decision"),
    TimelineStep.EXECUTING: _l("Refund executing"),
    TimelineStep.REFUNDED: _l("Refunded"),
}
STATE_LABELS: Mapping[CaseState, Any] = {
    CaseState.SUBMITTED: _l("Submitted"),
    CaseState.EVIDENCE_RECEIVED: _l("Evidence received"),
    CaseState.UNDER_REVIEW: _l("Responsibility review"),
    CaseState.MORE_EVIDENCE: _l("More evidence requested"),
    CaseState.APPROVED: _l("Approved"),
    CaseState.REJECTED: _l("Rejected"),
    CaseState.ARBITRATION: _l("Third-party arbitration"),
    CaseState.APPEALED: _l("Appealed"),
    CaseState.EXECUTING: _l("Refund executing"),
    CaseState.MANUAL: _l("Refund executing"),
    CaseState.REFUNDED: _l("Refunded"),
    CaseState.WITHDRAWN: _l("Withdrawn"),
}
STEP_DONE = {
    TimelineStep.SUBMITTED: _l("We received your refund request."),
    TimelineStep.EVIDENCE_RECEIVED: _l("Your evidence was received."),
    TimelineStep.UNDER_REVIEW: _l("The review is finished."),
    TimelineStep.EXECUTING: _l("The refund payment was sent."),
    TimelineStep.REFUNDED: _l("The money went back to your %(route)s."),
}
STATE_NOW = {
    CaseState.SUBMITTED: _l("Your request is waiting for its evidence check."),
    CaseState.EVIDENCE_RECEIVED: _l("Your evidence is waiting for a reviewer."),
    CaseState.UNDER_REVIEW: _l("A reviewer is checking the order, your evidence and who is responsible."),
    CaseState.MORE_EVIDENCE: _l("The reviewer needs more evidence from you: %(items)s."),
    CaseState.APPROVED: _l("Approved: %(amount)s will be %(way)s."),
    CaseState.REJECTED: _l("Your request was rejected."),
    CaseState.ARBITRATION: _l(
        "An independent arbitrator is looking at the case. We will tell you the outcome."
    ),
    CaseState.APPEALED: _l("A senior reviewer who took no part in the decision is answering your appeal."),
    CaseState.EXECUTING: _l("%(amount)s is on its way back to your %(route)s."),
}
STEP_NEXT = {
    TimelineStep.EVIDENCE_RECEIVED: _l("We check that the evidence you sent is complete."),
    TimelineStep.UNDER_REVIEW: _l("A reviewer checks the order, the evidence and who is responsible."),
    TimelineStep.DECISION: _l("Approved, rejected with a reason, or sent to third-party arbitration."),
    TimelineStep.EXECUTING: _l("The refund starts within %(payout_hours)s hours of approval."),
    TimelineStep.REFUNDED: _l("The money usually arrives within %(low)s–%(high)s working days."),
}
STEP_SKIPPED = _l("Not needed for this request.")
# An appeal against a partial approval starts at the decision: the steps before were the request's.
STEP_DONE_IN_APPEALED = _l("Done in the partly approved request this appeal is about.")
PARTLY_APPROVED_TEXT = _l("Partly approved: %(amount)s will be %(way)s.")
# How the money goes back: by the original route, or (offline orders) by hand to the customer's account.
WAYS = {
    "online": _l("refunded by the original route"),
    "offline": _l("transferred to the account you give us"),
}
WITHDRAWN_TEXT = _l("You withdrew this request. Nothing more will happen to it.")
DEADLINE_LABELS = {
    "review": _l("Decision due by"),
    "evidence": _l("Please add the evidence by"),
    "appeal": _l("Answer to your appeal due by"),
    "arbitration": _l("Arbitration outcome expected by"),
    "payout": _l("The refund starts by"),
    "arrival": _l("Expected to arrive by"),
}
# What happens when each deadline passes, said next to it.
DEADLINE_CONSEQUENCES = {
    "review": _l(
        "If the review is late, you may appeal; a senior reviewer answers within %(appeal_hours)s hours."
    ),
    "evidence": _l("If nothing arrives by then, the review goes on with what you sent, and we tell you."),
    "appeal": _l("A senior reviewer answers by then; an approval or rejection of your appeal is final."),
    "arbitration": _l("The arbitrator's outcome is final: it cannot be appealed or asked for again."),
    "payout": _l("A refund the payment service cannot start goes to our staff, who pay it by hand."),
    "arrival": _l("If the money has not arrived by then, tell us on this page and we will check."),
}
OTHER_ITEM_LABEL = _l("Other (see the reviewer's message)")
PARTLY_APPROVED = _l("Partly approved")
AMOUNT_LABELS = {
    "refunded": _l("Refunded amount"),
    "approved": _l("Approved amount"),
    "requested": _l("Requested amount"),
}


# Reasons a reviewer may give for a rejection; the customer sees the label and the reviewer's text.
REJECT_REASONS = {
    "evidence_insufficient": _l("The evidence does not show the problem"),
    "evidence_not_authentic": _l("The evidence could not be verified as authentic"),
    "item_used": _l("The platform's records show the item was used"),
    "customer_responsibility": _l("The loss was caused by details the customer entered"),
    "outside_policy": _l("The request is outside the refund policy"),
    "duplicate_request": _l("The same problem was already refunded in another request"),
    "other": _l("Other reason (explained below)"),
}
# Set by the system, never chosen from the list.
SYSTEM_REASONS = {
    "arbitration_outcome": _l("The third-party arbitrator ruled against the refund"),
    "platform_record": _l("Approved automatically: the platform's own records show the failure"),
}


def reason_label(code: str | None) -> str:
    """The label of a rejection or decision reason code ('' for none)."""
    if not code:
        return ""
    label = REJECT_REASONS.get(code) or SYSTEM_REASONS.get(code)
    return str(label) if label is not None else code


# Why a risk flag was raised (cases.risk stores the code and its parameters).
FLAG_MESSAGES = {
    "quick_refunds": _l(
        "Buy-then-refund pattern: %(count)s refund requests within %(hours)s hours of purchase "
        "in the last %(days)s days."
    ),
    "many_refunds_phone": _l("%(count)s refund requests from phone %(phone)s in the last %(days)s days."),
    "many_refunds_account": _l(
        "%(count)s refund requests paid from payment account %(account)s (%(customers)s customers) "
        "in the last %(days)s days."
    ),
    "many_refunds_recipient": _l(
        "%(count)s refund requests for top-ups to %(recipient)s in the last %(days)s days."
    ),
    "duplicate_evidence": _l("The same evidence file was also submitted with case %(cases)s."),
}


def flag_message(flag: dict) -> str:
    """The translated sentence explaining a stored flag."""
    text = FLAG_MESSAGES.get(flag.get("code", ""))
    if text is None:
        return str(flag.get("code", ""))
    try:
        return str(text) % flag.get("params", {})
    except (KeyError, TypeError, ValueError):
        return str(flag.get("code"))
