"""Evidence caps per checklist item, per request or case, per upload; a storage failure loses nothing."""

import io
import logging

import pytest
from sqlalchemy import func, select

from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import CaseState
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import LocalStorage
from portal.extensions import db
from tests.samples import jpeg

ITEM = "topup_failure_screenshot"


def live_count() -> int:
    return db.session.scalar(select(func.count(EvidenceFile.id)).where(EvidenceFile.removed_at.is_(None)))


@pytest.fixture
def at_evidence(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    journey.describe(order_id)
    assert journey.upload(order_id, ITEM, jpeg(), "good.jpg").status_code == 303
    return order_id


@pytest.mark.config(EVIDENCE_MAX_FILES_PER_ITEM=2)
def test_an_item_takes_at_most_its_cap(journey, at_evidence):
    assert journey.upload(at_evidence, ITEM, jpeg(color="blue"), "two.jpg").status_code == 303
    response = journey.upload(at_evidence, ITEM, jpeg(color="green"), "three.jpg")
    assert response.status_code == 422
    assert "This item already has 2 files, the most it can take." in response.get_data(as_text=True)
    assert live_count() == 2


@pytest.mark.config(EVIDENCE_MAX_FILES_PER_ITEM=10, EVIDENCE_MAX_FILES_PER_CASE=2)
def test_a_request_takes_at_most_its_cap(journey, at_evidence):
    assert journey.upload(at_evidence, ITEM, jpeg(color="blue"), "two.jpg").status_code == 303
    response = journey.upload(at_evidence, ITEM, jpeg(color="green"), "three.jpg")
    assert response.status_code == 422
    assert "This request already has 2 files, the most it can take." in response.get_data(as_text=True)
    assert live_count() == 2


@pytest.mark.config(EVIDENCE_MAX_FILES_PER_REQUEST=3)
def test_one_upload_request_carries_at_most_its_cap(journey, at_evidence):
    files = [(io.BytesIO(jpeg(color=c)), f"{c}.jpg") for c in ("blue", "green", "yellow", "white")]
    response = journey.post(
        f"/orders/{at_evidence}/refund/evidence?lang=en",
        data={"item": ITEM, "file": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Please send at most 3 files at once." in response.get_data(as_text=True)
    assert live_count() == 1  # nothing of the refused request was stored


def test_the_default_caps_stop_a_flood(journey, at_evidence, app):
    cap = app.config["EVIDENCE_MAX_FILES_PER_ITEM"]
    for n in range(cap + 3):
        journey.upload(at_evidence, ITEM, jpeg(size=(8, 8), color=f"#{n * 16:02x}0000"), f"{n}.jpg")
    assert live_count() == cap


def _case_asking_for_more(journey, order_id: int) -> RefundCase:
    journey.post(
        f"/orders/{order_id}/refund/submit", data={"idempotency_key": journey.idempotency_key(order_id)}
    )
    case = db.session.scalar(select(RefundCase))
    case.state = CaseState.MORE_EVIDENCE
    case.requested_items = [ITEM]
    db.session.commit()
    return case


def _add_to_case(journey, case_id: int, color: str):
    return journey.post(
        f"/cases/{case_id}/evidence?lang=en",
        data={"item": ITEM, "file": (io.BytesIO(jpeg(color=color)), f"{color}.jpg")},
        content_type="multipart/form-data",
    )


@pytest.mark.config(EVIDENCE_MAX_FILES_PER_ITEM=2)
def test_a_case_asking_for_more_keeps_the_item_cap_and_writes_no_event_beyond_it(journey, at_evidence):
    case = _case_asking_for_more(journey, at_evidence)
    assert _add_to_case(journey, case.id, "blue").status_code == 303
    events = db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id))
    response = _add_to_case(journey, case.id, "green")
    assert response.status_code == 422
    assert "This item already has 2 files, the most it can take." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id)) == events


def _refuse_writes(monkeypatch):
    def refuse(self, data, suffix):
        raise PermissionError(13, "Permission denied", "/uploads")

    monkeypatch.setattr(LocalStorage, "save", refuse)


def test_a_storage_failure_in_the_wizard_says_try_again_and_saves_nothing(
    journey, at_evidence, monkeypatch, caplog
):
    _refuse_writes(monkeypatch)
    response = journey.upload(at_evidence, ITEM, jpeg(color="blue"), "two.jpg")
    assert response.status_code == 422
    assert "The file could not be saved. Please try again in a moment." in response.get_data(as_text=True)
    assert live_count() == 1
    assert "Permission denied" in caplog.text


def test_a_storage_failure_on_a_case_says_try_again_and_saves_nothing(
    journey, at_evidence, monkeypatch, caplog
):
    case = _case_asking_for_more(journey, at_evidence)
    events = db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id))
    _refuse_writes(monkeypatch)
    caplog.set_level(logging.ERROR)
    response = _add_to_case(journey, case.id, "blue")
    assert response.status_code == 422
    assert "The file could not be saved. Please try again in a moment." in response.get_data(as_text=True)
    assert live_count() == 1
    assert db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id)) == events
    assert "Permission denied" in caplog.text


def test_an_object_store_that_refuses_a_write_is_a_storage_failure_too():
    from botocore.exceptions import ClientError

    from portal.evidence.storage import S3Storage

    class Refusing:
        def put_object(self, **kwargs):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "PutObject")

    with pytest.raises(OSError, match="AccessDenied"):
        S3Storage(Refusing(), "evidence").save(b"bytes", ".jpg")
