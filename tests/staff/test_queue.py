"""The review queue: urgency order, filters, counts and pages (pure rules), then the page itself."""

from datetime import datetime, timedelta

from portal.cases.states import CaseState
from portal.orders.kinds import Category
from portal.policy.kinds import RefundType
from portal.staff.review import (
    QueueFilter,
    QueueItem,
    count_queue,
    page_of,
    select_queue,
    urgency_key,
)
from tests.conftest import htmx_headers
from tests.factories import add_evidence, open_case, situation_order, staff
from tests.staff.conftest import post_decision

NOW = datetime(2026, 11, 28, 4, 0)
ME = 7


def item(i: int, **kw) -> QueueItem:
    values = {
        "id": i,
        "number": f"RF{i}",
        "state": CaseState.EVIDENCE_RECEIVED,
        "category": Category.GAME_CARD,
        "refund_type": RefundType.NOT_RECEIVED,
        "requested_fen": 1000,
        "green_channel": False,
        "flag_count": 0,
        "assigned_to_id": None,
        "due_at": NOW + timedelta(days=i),
        "created_at": NOW - timedelta(days=i),
    }
    return QueueItem(**(values | kw))


def test_green_channel_first_then_the_earliest_deadline_then_no_deadline():
    items = [
        item(1),
        item(2, green_channel=True, due_at=NOW + timedelta(days=5)),
        item(3, due_at=None),
        item(4, due_at=NOW - timedelta(hours=1)),
    ]
    assert [i.id for i in sorted(items, key=urgency_key)] == [2, 4, 1, 3]


def test_filters():
    items = [
        item(1),
        item(2, state=CaseState.APPEALED, assigned_to_id=ME),
        item(3, category=Category.PHONE_TOPUP, flag_count=2),
        item(4, refund_type=RefundType.INVALID, due_at=NOW - timedelta(minutes=1)),
        item(5, state=CaseState.MORE_EVIDENCE, due_at=NOW - timedelta(days=1)),
        item(6, green_channel=True),
    ]

    def ids(**args) -> list[int]:
        return sorted(i.id for i in select_queue(items, QueueFilter.from_args(args), NOW, ME))

    assert ids() == [1, 2, 3, 4, 6]  # waiting for the customer is hidden by default
    assert ids(state="more_evidence") == [5]
    assert ids(state="appealed") == [2]
    assert ids(category="phone_topup") == [3]
    assert ids(type="invalid") == [4]
    assert ids(overdue="1") == [4]  # a customer's late step is not our overdue
    assert ids(green="1") == [6]
    assert ids(flagged="1") == [3]
    assert ids(mine="1") == [2]
    assert ids(state="refunded", category="nonsense") == [1, 2, 3, 4, 6]  # unknown values are ignored
    counts = count_queue(items, NOW, ME)
    assert (counts.waiting, counts.overdue, counts.green, counts.flagged, counts.mine) == (5, 1, 1, 1, 1)
    assert counts.awaiting_customer == 1 and counts.by_state[CaseState.APPEALED] == 1


def test_filter_round_trip_and_pages():
    filt = QueueFilter.from_args(
        {"state": "appealed", "category": "software", "type": "invalid", "mine": "1"}
    )
    assert QueueFilter.from_args(filt.to_args()) == filt
    assert QueueFilter().is_empty and not filt.is_empty
    assert page_of(list(range(120)), 3, 50) == (list(range(100, 120)), 3, 3)
    assert page_of([], 5, 50) == ([], 1, 1)
    assert page_of(list(range(10)), -1, 50)[1] == 1


def test_the_queue_page_filters_and_answers_htmx_with_the_results(staff_client, world):
    flagged = open_case(situation_order("game_card_unused"), evidence_sha="c" * 64)
    other = open_case(situation_order("game_item_unused"), refund_type=RefundType.NOT_AS_DESCRIBED)
    add_evidence(other.customer_id, "x", sha256="c" * 64).case_id = other.id
    world.session.commit()
    client = staff_client("reviewer")
    page = client.get("/staff/?lang=en").text
    assert flagged.number in page and other.number in page
    assert "waiting" in page
    games = client.get("/staff/?category=game_item&lang=en").text
    assert other.number in games and flagged.number not in games
    fragment = client.get("/staff/?type=not_as_described", headers=htmx_headers())
    assert fragment.status_code == 200
    assert (
        "<html" not in fragment.text and other.number in fragment.text and flagged.number not in fragment.text
    )
    assert "HX-Request" in fragment.headers["Vary"]
    post_decision(client, flagged.id, "claim", flagged.version)
    mine = client.get("/staff/?mine=1").text
    assert flagged.number in mine and other.number not in mine
    assert staff("reviewer").display_name in client.get("/staff/?lang=en").text


def test_risk_flags_and_duplicate_evidence_on_the_review_page(staff_client, world):
    first = open_case(situation_order("game_card_unused"), evidence_sha="d" * 64)
    second = open_case(situation_order("game_card_system_fault"), evidence_sha="d" * 64)
    assert second.risk_flags
    page = staff_client("reviewer").get(f"/staff/cases/{second.id}?lang=en").text
    assert "Risk signals" in page
    assert "The same evidence file was also submitted with case" in page
    assert "Duplicate" in page and f"/staff/cases/{first.id}" in page
    assert "never approved automatically" in page
    flagged_only = staff_client("reviewer").get("/staff/?flagged=1").text
    assert second.number in flagged_only and first.number not in flagged_only


def test_evidence_files_are_served_safely(staff_client, world, app):
    case = open_case(situation_order("game_card_unused"))
    evidence = case.evidence[0]
    client = staff_client("reviewer")
    full = client.get(f"/staff/evidence/{evidence.public_id}")
    assert full.status_code == 200
    assert full.headers["Content-Type"] == "image/png"
    assert "sandbox" in full.headers["Content-Security-Policy"]
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.data.startswith(b"\x89PNG")
    pdf = add_evidence(case.customer_id, "x", data=b"%PDF-1.4\n%%EOF\n")
    pdf.kind, pdf.mime, pdf.case_id = "pdf", "application/pdf", case.id
    world.session.commit()
    response = client.get(f"/staff/evidence/{pdf.public_id}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/staff/evidence/{pdf.public_id}/thumb").status_code == 404
    # A file on a draft (not yet part of a case) is not served here.
    draft_file = add_evidence(case.customer_id, "x")
    world.session.commit()
    assert client.get(f"/staff/evidence/{draft_file.public_id}").status_code == 404


def test_staff_pages_in_chinese(staff_client, world):
    case = open_case(situation_order("game_card_unused"))
    client = staff_client("reviewer")
    page = client.get(f"/staff/cases/{case.id}?lang=zh_CN").text
    assert '<html lang="zh-CN">' in page
    assert case.number in page
