"""`flask audit verify`: passes on an untouched log; fails on edited, deleted, reordered, inserted events."""

import pytest
from sqlalchemy import select, text

from portal.cases import auditchain
from portal.cases.auditchain import CHAIN_FIELDS
from portal.cases.models import CaseEvent
from portal.cases.states import CaseState
from portal.extensions import db
from tests.factories import advance, open_case_for

S = CaseState


@pytest.fixture
def log(app, world):
    """Two cases with a few events each, interleaved in the global chain; returns (first, second) ids."""
    first = open_case_for(world.customer_id).id
    second = open_case_for(world.customer_id).id
    advance(first, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)
    advance(second, S.WITHDRAWN, actor="customer")
    advance(first, S.REJECTED, decision_reason_code="outside_policy", decision_note="no")
    db.session.remove()
    return first, second


def verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def _seq_of(case_id: int, index: int = 0) -> int:
    return db.session.scalars(
        select(CaseEvent.seq).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
    ).all()[index]


def _sql(statement: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_untouched_log_passes(app, log):
    first, second = log
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "Audit log OK" in result.output
    case_result = verify(app, "--case", str(first))
    assert case_result.exit_code == 0 and f"Case {first} OK" in case_result.output


def test_edited_event_fails_where_it_was_edited(app, log):
    first, _ = log
    seq = _seq_of(first, 1)
    _sql("UPDATE case_events SET reason = 'staff decided nothing' WHERE seq = :seq", seq=seq)
    result = verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at seq {seq} (case {first}" in result.output and "content does not match" in result.output
    assert verify(app, "--case", str(first)).exit_code == 1


def test_edited_data_or_time_fails(app, log):
    first, _ = log
    seq = _seq_of(first, 0)
    _sql("UPDATE case_events SET data = :data WHERE seq = :seq", data='{"amount_fen": 1}', seq=seq)
    assert verify(app).exit_code == 1


def test_deleted_event_fails(app, log):
    first, _ = log
    seq = _seq_of(first, 1)
    _sql("DELETE FROM case_events WHERE seq = :seq", seq=seq)
    result = verify(app)
    assert result.exit_code == 1 and f"BROKEN at seq {seq}" in result.output and "missing" in result.output


def test_deleted_last_event_fails_against_the_head(app, log):
    last = db.session.scalar(select(CaseEvent.seq).order_by(CaseEvent.seq.desc()))
    _sql("DELETE FROM case_events WHERE seq = :seq", seq=last)
    assert verify(app).exit_code == 1


def test_all_of_a_cases_events_deleted_fails_for_that_case(app, log):
    _, second = log
    _sql("DELETE FROM case_events WHERE case_id = :case_id", case_id=second)
    result = verify(app, "--case", str(second))
    assert result.exit_code == 1


def test_reordered_events_fail(app, log):
    first, second = log
    a, b = _seq_of(first, 0), _seq_of(second, 0)
    _sql("UPDATE case_events SET seq = -1 WHERE seq = :a", a=a)
    _sql("UPDATE case_events SET seq = :a WHERE seq = :b", a=a, b=b)
    _sql("UPDATE case_events SET seq = :b WHERE seq = -1", b=b)
    result = verify(app)
    assert result.exit_code == 1 and f"BROKEN at seq {a}" in result.output


def _forged(case_id: int, seq: int, prev_hash: str) -> dict:
    """An event a forger would write: well-formed and correctly hashed on its own."""
    fields = {
        "seq": seq,
        "case_id": case_id,
        "at": db.session.scalar(select(CaseEvent.at).order_by(CaseEvent.seq.desc())),
        "actor_kind": "staff",
        "actor_id": None,
        "action": "approved",
        "from_state": "under_review",
        "to_state": "approved",
        "reason": "",
        "data": {},
        "prev_hash": prev_hash,
    }
    return {**fields, "hash": auditchain.event_hash(fields, prev_hash)}


def _insert(row: dict) -> None:
    db.session.add(CaseEvent(**row))
    db.session.commit()


def test_inserted_event_in_the_middle_fails(app, log):
    first, _ = log
    seq = _seq_of(first, 1)
    prev_hash = db.session.scalar(select(CaseEvent.hash).where(CaseEvent.seq == seq - 1))
    rows = db.session.scalars(
        select(CaseEvent.seq).where(CaseEvent.seq >= seq).order_by(CaseEvent.seq.desc())
    ).all()
    for old in rows:  # make room, from the end so seq stays unique
        _sql("UPDATE case_events SET seq = :new WHERE seq = :old", new=old + 1, old=old)
    _insert(_forged(first, seq, prev_hash))
    result = verify(app)
    assert result.exit_code == 1 and f"BROKEN at seq {seq + 1}" in result.output


def test_inserted_event_at_the_end_fails(app, log):
    first, _ = log
    last = db.session.scalars(select(CaseEvent).order_by(CaseEvent.seq.desc())).first()
    _insert(_forged(first, last.seq + 1, last.hash))
    result = verify(app)
    assert result.exit_code == 1 and "recorded head" in result.output


def test_a_break_after_a_cases_last_event_leaves_that_case_trusted(app, log):
    first, second = log
    last = db.session.scalar(select(CaseEvent.seq).order_by(CaseEvent.seq.desc()))
    assert _seq_of(second, -1) < last
    _sql("UPDATE case_events SET reason = 'edited' WHERE seq = :seq", seq=last)
    assert verify(app, "--case", str(second)).exit_code == 0
    assert verify(app, "--case", str(first)).exit_code == 1


def test_the_chain_covers_the_fields_people_would_forge():
    assert {"reason", "data", "at", "actor_kind", "to_state"} <= set(CHAIN_FIELDS)
