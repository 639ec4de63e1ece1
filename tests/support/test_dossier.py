"""The arbitration dossier: export, offline verification, tampering named by part, rights."""

import io
import json
import secrets
import zipfile

import pytest
from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.states import CaseState
from portal.evidence import stores
from portal.evidence.models import EvidenceFile
from portal.extensions import db as _db
from portal.staff.services import record_arbitration
from portal.support import dossier
from tests.factories import advance, open_case_for
from tests.support.conftest import png_bytes


@pytest.fixture
def arbitration_case(app, world):
    """A case in third-party arbitration with one real evidence file in storage."""
    case_id = open_case_for(world.customer_id).id
    storage = stores.get("evidence")
    _db.session.add(
        EvidenceFile(
            public_id=secrets.token_urlsafe(12),
            customer_id=world.customer_id,
            case_id=case_id,
            checklist_key="screenshot",
            storage_key=storage.save(png_bytes(), ".png"),
            kind="image",
            mime="image/png",
            size=100,
            sha256="0" * 64,
        )
    )
    _db.session.commit()
    advance(case_id, CaseState.EVIDENCE_RECEIVED, CaseState.UNDER_REVIEW, CaseState.ARBITRATION)
    return case_id


def _export(client, case_id) -> bytes:
    response = client.post(f"/staff/cases/{case_id}/dossier")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def _rewrite(data: bytes, name: str, change) -> bytes:
    """A copy of the ZIP with one part replaced by change(old bytes) (a consistent ZIP, CRCs recomputed)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == name else content)
    return out.getvalue()


def test_export_holds_every_part_and_is_logged_with_its_sha256(staff, arbitration_case):
    data = _export(staff("senior"), arbitration_case)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    assert {
        "manifest.json",
        "summary.html",
        "order.json",
        "case.json",
        "statements.json",
        "events.json",
        "policy.json",
        "evidence.json",
    } <= names
    evidence = [n for n in names if n.startswith("evidence/")]
    assert len(evidence) == 1 and archive.read(evidence[0]) == png_bytes()
    log = json.loads(archive.read("events.json"))
    assert [e["action"] for e in log["events"]][:1] == ["submitted"] and log["chain_head"]["seq"] >= 1
    summary = archive.read("summary.html").decode()
    assert 'lang="zh-CN"' in summary and "仲裁" in summary
    assert dossier.verify(data) == []
    event = _db.session.scalar(select(CaseEvent).where(CaseEvent.action == "dossier_exported"))
    assert event.case_id == arbitration_case and event.data["sha256"] == dossier.sha256(data)


def test_verify_dossier_command_passes_then_names_the_tampered_part(app, staff, arbitration_case, tmp_path):
    data = _export(staff("reviewer"), arbitration_case)
    good = tmp_path / "dossier.zip"
    good.write_bytes(data)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify-dossier", str(good)])
    assert ok.exit_code == 0 and "OK" in ok.output
    # One byte changed inside the evidence photo, as stored in the ZIP.
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = next(i for i in archive.infolist() if i.filename.startswith("evidence/"))
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 20
    tampered = bytearray(data)
    tampered[offset] ^= 0x01
    bad = tmp_path / "tampered.zip"
    bad.write_bytes(bytes(tampered))
    result = runner.invoke(args=["audit", "verify-dossier", str(bad)])
    assert result.exit_code == 1
    assert "NOT intact" in result.output and info.filename in result.output


def test_a_changed_part_is_named_even_when_the_zip_itself_is_consistent(staff, arbitration_case):
    data = _export(staff("senior"), arbitration_case)
    changed = _rewrite(
        data, "statements.json", lambda b: b.replace(b"test reason", b"test season")
    )
    assert dossier.verify(changed) == [
        "statements.json: SHA-256 differs from the manifest (the part was changed)"
    ]


def test_a_rewritten_event_fails_its_hash_even_with_a_matching_manifest(staff, arbitration_case):
    data = _export(staff("senior"), arbitration_case)

    def edit_event(raw: bytes) -> bytes:
        log = json.loads(raw)
        log["events"][0]["reason"] = "I never asked for this."
        return dossier.to_json(log)

    forged = _rewrite(data, "events.json", edit_event)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(forged)).read("manifest.json"))
    for entry in manifest["files"]:
        if entry["name"] == "events.json":
            entry["sha256"] = dossier.sha256(zipfile.ZipFile(io.BytesIO(forged)).read("events.json"))
    forged = _rewrite(forged, "manifest.json", lambda _: dossier.to_json(manifest))
    first_seq = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("events.json"))["events"][0]["seq"]
    assert dossier.verify(forged) == [f"events.json: event seq {first_seq} does not match its hash"]


def test_garbage_is_not_a_dossier():
    assert dossier.verify(b"not a zip")[0].startswith("the file is not a readable ZIP")


def test_only_cases_that_went_to_arbitration_have_a_dossier(staff, world):
    case_id = open_case_for(world.customer_id).id
    response = staff("senior").post(f"/staff/cases/{case_id}/dossier")
    assert response.status_code == 303
    assert _db.session.scalar(select(CaseEvent).where(CaseEvent.action == "dossier_exported")) is None


def test_customers_and_editors_never_get_a_dossier(alice, bob, staff, arbitration_case):
    for client in (alice, bob):
        response = client.post(f"/staff/cases/{arbitration_case}/dossier")
        assert (
            response.status_code in (302, 403) and response.headers.get("Content-Type") != "application/zip"
        )
    assert staff("editor").post(f"/staff/cases/{arbitration_case}/dossier").status_code == 403
    assert staff("senior").post("/staff/cases/99999/dossier").status_code == 404


def test_the_arbitrator_s_outcome_and_reference_are_shown_to_the_customer(alice, arbitration_case):
    case = _db.session.get(RefundCase, arbitration_case)
    senior = _db.session.scalar(select(StaffUser).where(StaffUser.username == "senior"))
    record_arbitration(case, case.version, senior, "SZXH-2026-0417", None, "The card had been redeemed.")
    _db.session.commit()
    page = alice.get(f"/cases/{arbitration_case}?lang=en").get_data(as_text=True)
    assert "Decided by the third-party arbitrator (reference SZXH-2026-0417)." in page
