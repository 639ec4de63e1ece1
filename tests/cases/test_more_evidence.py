"""补充材料 (cases.more_evidence): a case in 待补充材料 takes files for the requested items, logging each."""

import pytest
from sqlalchemy import func, select

from portal.cases import more_evidence
from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.evidence import uploads
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import LocalStorage
from portal.extensions import db
from tests.samples import jpeg

ITEM = "topup_failure_screenshot"


def test_case_asking_for_more_evidence_takes_uploads(journey, app):
    order_id = journey.orders["game_card_unused"]
    journey.ready_to_submit(order_id, "not_received", ITEM)
    journey.post(
        f"/orders/{order_id}/refund/submit", data={"idempotency_key": journey.idempotency_key(order_id)}
    )
    case = db.session.scalar(select(RefundCase))
    storage = LocalStorage(app.config["UPLOAD_FOLDER"])
    limits = uploads.Limits(app.config["MAX_FILE_BYTES"], app.config["MAX_IMAGE_PIXELS"])
    upload = uploads.Upload(jpeg(color="blue"), "more.jpg")
    case.requested_items = [ITEM]
    with pytest.raises(uploads.UploadRefused) as refused:
        more_evidence.add_file(storage, case, ITEM, upload, limits)
    assert refused.value.code == "case_not_accepting"
    case.state = CaseState.MORE_EVIDENCE
    db.session.commit()
    with pytest.raises(uploads.UploadRefused) as refused:
        more_evidence.add_file(storage, case, "not_requested", upload, limits)
    assert refused.value.code == "bad_item"
    with pytest.raises(uploads.UploadRefused) as refused:
        more_evidence.add_file(storage, case, ITEM, None, limits)
    assert refused.value.code == "no_file"
    added = more_evidence.add_file(storage, case, ITEM, upload, limits)
    db.session.commit()
    assert added.case_id == case.id and added.draft_id is None
    assert case.events[-1].action == "evidence_added" and case.events[-1].data["file"] == added.public_id
    events = len(case.events)
    assert more_evidence.add_file(storage, case, ITEM, upload, limits).id == added.id  # sent twice: one file
    db.session.commit()
    db.session.refresh(case)
    assert len(case.events) == events
    assert (
        db.session.scalar(
            select(func.count()).select_from(EvidenceFile).where(EvidenceFile.case_id == case.id)
        )
        == 2
    )
