"""Who may see an evidence file: the one rule behind every evidence URL (customers' and staff's).

- Signed out: sign in first.
- Staff: only roles that review cases (reviewer, senior, admin); a policy editor gets 403. They see files
  on cases, never a customer's draft in progress (404).
- Customers: their own files only; another customer's file answers 404, as if it did not exist. The staff
  URLs (/staff/evidence/…) answer customers 403, like every page of the staff area.
"""

from enum import Enum

from portal.accounts.roles import REVIEW_ROLES
from portal.evidence.models import EvidenceFile


class Access(Enum):
    SIGN_IN = "sign_in"
    FORBIDDEN = "forbidden"
    MISSING = "missing"
    ALLOWED = "allowed"


def access(user, evidence_file: EvidenceFile | None, staff_url: bool) -> Access:
    """`user` is the signed-in user or an anonymous one (Flask-Login's interface)."""
    if not user.is_authenticated:
        return Access.SIGN_IN
    if user.is_staff:
        if not user.has_role(*REVIEW_ROLES):
            return Access.FORBIDDEN
        seen = evidence_file is not None and evidence_file.case_id is not None
    elif staff_url:
        return Access.FORBIDDEN
    else:
        seen = evidence_file is not None and evidence_file.customer_id == user.id
    return Access.ALLOWED if seen else Access.MISSING
