"""补充材料: the customer adds a file for an item the reviewer asked for, while the case is in 待补充材料.

The evidence room checks and stores the file (``portal.evidence.uploads``); the case decides whether it
takes files now and logs each new one. The caller commits.
"""

from portal.cases.auditlog import append_event
from portal.cases.models import RefundCase
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import Storage
from portal.evidence.uploads import Limits, Upload, UploadRefused, store_for_case
from portal.policy.publishing import evidence_kinds_for_case


def add_file(
    storage: Storage, case: RefundCase, item_key: str, upload: Upload | None, limits: Limits
) -> EvidenceFile:
    """Store the file for a requested item, in the kinds the case's policy accepts for it; raises
    UploadRefused ("bad_item": not asked for, "no_file", "case_not_accepting", the caps, "wrong_kind") or
    EvidenceError (the bytes)."""
    if item_key not in (case.requested_items or []):
        raise UploadRefused("bad_item")
    if upload is None:
        raise UploadRefused("no_file")
    if CaseState(case.state) is not CaseState.MORE_EVIDENCE:
        raise UploadRefused("case_not_accepting")
    kinds = evidence_kinds_for_case(case, item_key)
    evidence, new = store_for_case(storage, case, item_key, upload, limits, kinds)
    if new:
        append_event(
            case,
            "evidence_added",
            Actor.CUSTOMER,
            case.customer_id,
            case.state,
            case.state,
            data={"file": evidence.public_id, "item": item_key, "sha256": evidence.sha256},
        )
        case.updated_at = utcnow()  # the progress page shows the new file
    return evidence
