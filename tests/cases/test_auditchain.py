"""The audit hash chain: canonical form, hashing, and detection of every kind of tampering."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from portal.cases.auditchain import CHAIN_FIELDS, GENESIS, canonical, event_hash, verify


def build_chain(n: int = 6) -> list[dict]:
    """A valid chain over two interleaved cases, as the log would store it."""
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = {
            "seq": seq,
            "case_id": 100 + seq % 2,
            "at": datetime(2026, 11, 28, 2, 0) + timedelta(minutes=seq),
            "actor_kind": "staff" if seq % 3 == 0 else "customer",
            "actor_id": 7,
            "action": "transition",
            "from_state": "under_review",
            "to_state": "rejected",
            "reason": "截图未显示订单号",
            "data": {"amount_fen": 1000 * seq, "files": [seq]},
        }
        stored_hash = event_hash(fields, prev)
        events.append({**fields, "prev_hash": prev, "hash": stored_hash, "id": 900 + seq})
        prev = stored_hash
    return events


def test_untouched_chain_verifies():
    result = verify(build_chain())
    assert result.ok and result.broken_at_seq is None and result.checked == 6


def test_empty_chain_verifies():
    assert verify([]).ok


def test_canonical_is_stable_compact_and_only_chained_fields():
    event = build_chain(1)[0]
    text = canonical(event).decode("utf-8")
    assert set(json.loads(text)) == set(CHAIN_FIELDS)
    assert '"id"' not in text and '"hash"' not in text
    assert " " not in text.replace("截图未显示订单号", "")
    assert "截图未显示订单号" in text  # UTF-8, not \u escapes
    assert '"at":"2026-11-28T02:01:00.000000"' in text
    assert canonical(dict(reversed(list(event.items())))) == canonical(event)


def test_aware_datetimes_hash_like_naive_utc():
    event = build_chain(1)[0]
    shanghai = event["at"].replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=8)))
    assert canonical({**event, "at": shanghai}) == canonical(event)


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError):
        canonical({"data": {"x": object()}})


def test_hash_depends_on_prev_hash():
    fields = {k: v for k, v in build_chain(1)[0].items() if k in CHAIN_FIELDS}
    assert event_hash(fields, GENESIS) != event_hash(fields, "1" * 64)
    assert len(event_hash(fields, GENESIS)) == 64


def test_objects_with_attributes_are_accepted():
    class Row:
        def __init__(self, data):
            self.__dict__.update(data)

    assert verify([Row(e) for e in build_chain()]).ok


@pytest.mark.parametrize("field", [f for f in CHAIN_FIELDS if f not in ("seq", "prev_hash")])
@pytest.mark.parametrize("seq", [1, 4, 6])
def test_editing_any_field_breaks_at_that_seq(field, seq):
    events = build_chain()
    event = events[seq - 1]
    event[field] = {"edited": True} if field == "data" else "edited"
    result = verify(events)
    assert not result.ok and result.broken_at_seq == seq
    assert result.checked == seq - 1


def test_editing_prev_hash_breaks_at_that_seq():
    events = build_chain()
    events[2]["prev_hash"] = "f" * 64
    assert verify(events).broken_at_seq == 3


def test_editing_seq_is_detected():
    events = build_chain()
    events[3]["seq"] = 40
    assert verify(events).broken_at_seq == 4


def test_editing_nested_data_is_detected():
    events = build_chain()
    events[1]["data"]["amount_fen"] += 1
    assert verify(events).broken_at_seq == 2


def test_deleting_an_event_breaks_where_it_was():
    events = build_chain()
    del events[2]
    result = verify(events)
    assert not result.ok and result.broken_at_seq == 3


def test_deleting_the_first_event_is_detected():
    assert verify(build_chain()[1:]).broken_at_seq == 1


def test_reordering_is_detected():
    events = build_chain()
    events[2], events[3] = events[3], events[2]
    assert verify(events).broken_at_seq == 3


def test_reordering_with_renumbered_seq_is_detected():
    events = build_chain()
    events[2], events[3] = events[3], events[2]
    events[2]["seq"], events[3]["seq"] = 3, 4
    assert verify(events).broken_at_seq == 3


def test_inserted_forged_event_with_valid_hash_breaks_at_the_next_one():
    events = build_chain()
    forged = {**{k: v for k, v in events[2].items() if k in CHAIN_FIELDS}, "seq": 4, "reason": "forged"}
    forged["hash"] = event_hash(forged, events[2]["hash"])
    forged["prev_hash"] = events[2]["hash"]
    events.insert(3, forged)
    assert verify(events).broken_at_seq == 5  # the original seq 4 now sits where seq 5 should be


def test_inserted_event_with_renumbered_tail_breaks_at_the_next_one():
    events = build_chain()
    forged = {**{k: v for k, v in events[2].items() if k in CHAIN_FIELDS}, "seq": 4, "reason": "forged"}
    forged["prev_hash"] = events[2]["hash"]
    forged["hash"] = event_hash(forged, forged["prev_hash"])
    events.insert(3, forged)
    for seq, event in enumerate(events, start=1):
        event["seq"] = seq
    assert verify(events).broken_at_seq == 5


def test_tampered_last_hash_is_detected():
    events = build_chain()
    events[-1]["hash"] = "a" * 64
    assert verify(events).broken_at_seq == 6


def test_checkpoint_catches_a_cut_tail_and_a_rewritten_chain():
    events = build_chain()
    checkpoint = (6, events[-1]["hash"])
    assert verify(events, checkpoint=checkpoint).ok
    assert verify(events[:4], checkpoint=checkpoint).broken_at_seq == 6

    rewritten = build_chain()
    rewritten[0]["reason"] = "rewritten"
    prev = GENESIS
    for event in rewritten:  # the attacker recomputes every hash
        event["prev_hash"] = prev
        event["hash"] = prev = event_hash(event, prev)
    assert verify(rewritten).ok  # undetectable without an outside reference...
    assert verify(rewritten, checkpoint=checkpoint).broken_at_seq == 6  # ...caught with one
