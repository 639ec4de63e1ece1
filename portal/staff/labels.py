"""What staff pages call things: state names, decision errors, actions (English msgids).

Decision reasons and risk flags are the case's own words: portal/cases/labels.py.
"""

from portal.cases.labels import STATE_LABELS
from portal.cases.states import CaseState
from portal.i18n import lazy_gettext as _l

# The customer's names for the states, except that staff see manual payout handling for what it is.
STATE = {**STATE_LABELS, CaseState.MANUAL: _l("Manual payout handling")}

DECISION_ERRORS = {
    "stale": _l(
        "Someone else decided this case first, or it changed while you were looking at it. "
        "Nothing was changed; here is the case as it is now."
    ),
    "not_allowed": _l("This action is not possible in the case's current state."),
    "senior_only": _l("Only a senior reviewer can do this."),
    "own_decision": _l(
        "You took part in the first decision on this case, so another senior reviewer must answer the appeal."
    ),
    "amount_not_positive": _l("Enter an amount greater than zero."),
    "amount_over_cap": _l("The amount cannot exceed %(cap)s."),
    "bad_items": _l("Choose at least one item from the list."),
    "bad_assignee": _l("This person cannot take this case."),
    "bad_reason": _l("Choose a reason from the list."),
}

ACTION_DONE = {
    "claim": _l("The case is yours now."),
    "assign": _l("The case was assigned."),
    "green_channel": _l("The case is in the green channel now."),
    "approve": _l("The refund was approved."),
    "reject": _l("The request was rejected."),
    "request_evidence": _l("The customer was asked for more evidence."),
    "escalate": _l("The case was sent to third-party arbitration."),
    "arbitration_outcome": _l("The arbitrator's outcome was recorded."),
    "return_to_review": _l("The case went back to review."),
}


EVENT_ACTIONS = {
    "claimed": _l("Claimed"),
    "review_intake": _l("Taken into review"),
    "intake_for_appeal": _l("Taken into review"),
    "assigned": _l("Assigned"),
    "appeal_routed": _l("Appeal routed to a senior reviewer"),
    "auto_review_skipped": _l("Automatic approval held back by risk flags"),
    "green_channel": _l("Moved to the green channel"),
    "evidence_added": _l("Evidence added"),
    "dossier_exported": _l("Arbitration dossier exported"),
}

ACTORS = {"customer": _l("Customer"), "system": _l("System"), "staff": _l("Staff")}


def event_label(action: str) -> str:
    """What a log entry's action is called on staff pages."""
    if action in EVENT_ACTIONS:
        return str(EVENT_ACTIONS[action])
    try:
        return str(STATE[CaseState(action)])
    except ValueError:
        return action.replace("_", " ")
