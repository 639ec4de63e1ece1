"""站内信 and SMS: written with the change, in the customer's language; the inbox, its badge, overdue."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import move
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import InboxMessage
from portal.outbox import OutboxItem
from tests.conftest import htmx_headers
from tests.factories import advance, open_case_for

S = CaseState


def _messages(case_id: int) -> list[InboxMessage]:
    return list(
        db.session.scalars(
            select(InboxMessage).where(InboxMessage.case_id == case_id).order_by(InboxMessage.id)
        )
    )


def _sms(case_id: int) -> list[OutboxItem]:
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(OutboxItem.case_id == case_id, OutboxItem.channel == "sms")
            .order_by(OutboxItem.id)
        )
    )


def _english(customer_id: int) -> None:
    from portal.accounts.models import Customer

    db.session.get(Customer, customer_id).locale = "en"
    db.session.commit()


def test_message_and_sms_are_written_in_the_same_transaction(app, world):
    case_id = open_case_for(world.customer_id).id
    assert [m.event for m in _messages(case_id)] == ["submitted"]
    assert [o.template for o in _sms(case_id)] == ["case:submitted"]
    case = db.session.get(RefundCase, case_id)
    move(case, S.WITHDRAWN, Actor.CUSTOMER, world.customer_id)
    db.session.rollback()  # the change did not happen: neither did its announcements
    assert [m.event for m in _messages(case_id)] == ["submitted"]
    assert len(_sms(case_id)) == 1


def test_every_step_is_announced_in_the_customers_language(app, world):
    _english(world.customer_id)
    case_id = open_case_for(world.customer_id).id
    advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)
    case = db.session.get(RefundCase, case_id)
    advance(case_id, S.APPROVED, approved_fen=case.requested_fen - 50)
    move(case, S.EXECUTING, Actor.SYSTEM, None)
    move(case, S.REFUNDED, Actor.SYSTEM, None)
    db.session.commit()
    events = [m.event for m in _messages(case_id)]
    assert events == [
        "submitted",
        "evidence_received",
        "under_review",
        "approved_partial",
        "executing",
        "refunded",
    ]
    partial = _messages(case_id)[3]
    assert partial.title == "Refund partly approved"
    assert f"Refund {case.number} partly approved: ¥" in partial.body and "You asked for ¥" in partial.body
    # The phone gets what the customer must know or act on; every step is in the 站内信 (policy phone_news).
    assert [o.template for o in _sms(case_id)] == [
        "case:submitted",
        "case:approved_partial",
        "case:executing",
        "case:refunded",
    ]
    executing = _sms(case_id)[2]
    assert set(executing.params) == {"number", "due", "amount", "route", "arrival"}
    assert executing.params["route"] in {"Alipay", "WeChat Pay", "Bank card", "Offline transfer"}
    assert executing.locale == "en"


def test_rejection_tells_the_reason_in_the_inbox_not_in_the_sms(app, world):
    _english(world.customer_id)
    case_id = open_case_for(world.customer_id).id
    advance(
        case_id,
        S.EVIDENCE_RECEIVED,
        S.UNDER_REVIEW,
        S.REJECTED,
        decision_reason_code="item_used",
        decision_note="The card was redeemed on 11-20.",
    )
    message = _messages(case_id)[-1]
    assert message.event == "rejected"
    assert (
        "Reason: The platform's records show the item was used. The card was redeemed on 11-20"
        in message.body
    )
    assert "reason" not in _sms(case_id)[-1].params


def test_appeal_and_its_answers_are_told_as_such(app, world):
    case_id = open_case_for(world.customer_id).id
    advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.REJECTED, decision_reason_code="outside_policy")
    advance(case_id, S.APPEALED, actor=Actor.CUSTOMER)
    advance(case_id, S.UNDER_REVIEW)
    advance(case_id, S.APPROVED, approved_fen=db.session.get(RefundCase, case_id).requested_fen)
    events = [m.event for m in _messages(case_id)][-4:]
    assert events == [
        "rejected",
        "appealed",
        "appeal_returned",
        "approved",
    ]  # a fresh review decides normally
    other = open_case_for(world.customer_id).id
    advance(other, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.REJECTED, decision_reason_code="outside_policy")
    advance(other, S.APPEALED, actor=Actor.CUSTOMER)
    advance(other, S.REJECTED, decision_reason_code="outside_policy")
    assert [m.event for m in _messages(other)][-1] == "appeal_rejected"


def test_no_sms_when_the_customer_opted_out(app, world):
    from portal.accounts.models import Customer

    db.session.get(Customer, world.customer_id).sms_opt_in = False
    db.session.commit()
    case_id = open_case_for(world.customer_id).id
    assert len(_messages(case_id)) == 1 and _sms(case_id) == []


# -- inbox and badge ---


def test_inbox_lists_messages_and_marks_them_read(client, customer, app):
    with app.app_context():
        case_id = open_case_for(customer).id
        message_id = _messages(case_id)[0].id
    page = client.get("/messages?lang=en").get_data(as_text=True)
    assert "Mark as read" in page and f'href="/cases/{case_id}"' in page
    assert 'class="badge-count">1<' in page  # the header badge
    fragment = client.post(f"/messages/{message_id}/read", headers=htmx_headers())
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "Mark as read" not in body
    assert fragment.headers["HX-Trigger"] == "inbox-changed"
    assert "badge-count" not in client.get("/messages?lang=en").get_data(as_text=True)


def test_mark_read_plain_form_and_mark_all(client, customer, app):
    with app.app_context():
        case_id = open_case_for(customer).id
        advance(case_id, S.WITHDRAWN, actor=Actor.CUSTOMER)
        first = _messages(case_id)[0].id
    response = client.post(f"/messages/{first}/read")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/messages#message-{first}")
    client.post("/messages/read-all")
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(InboxMessage.read_at.is_(None))) == 0


def test_someone_elses_message_is_404(client, customer, app):
    from tests.factories import sign_in_customer

    with app.app_context():
        message_id = _messages(open_case_for(customer).id)[0].id
    stranger = app.test_client()
    sign_in_customer(stranger, app, "+8613900139000")
    assert stranger.post(f"/messages/{message_id}/read").status_code == 404
    assert "Refund request received" not in stranger.get("/messages?lang=en").get_data(as_text=True)


def test_badge_polls_cheaply_and_updates_when_a_message_arrives(client, customer, app):
    first = client.get("/messages/badge?lang=en", headers=htmx_headers())
    assert first.status_code == 200 and "badge-count" not in first.get_data(as_text=True)
    assert 'hx-trigger="every' in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    same = client.get("/messages/badge?lang=en", headers=htmx_headers(**{"If-None-Match": etag}))
    assert same.status_code == 304 and same.headers["HX-Reswap"] == "none"
    with app.app_context():
        open_case_for(customer).id
    changed = client.get("/messages/badge?lang=en", headers=htmx_headers(**{"If-None-Match": etag}))
    assert changed.status_code == 200 and 'class="badge-count">1<' in changed.get_data(as_text=True)


# -- the late-review job ---


def test_overdue_review_is_announced_once_and_logged(app, world):
    from worker.overdue import notify_overdue_reviews

    _english(world.customer_id)
    late = open_case_for(world.customer_id).id
    on_time = open_case_for(world.customer_id).id
    case = db.session.get(RefundCase, late)
    due = case.review_due_at
    assert notify_overdue_reviews(due - timedelta(minutes=1)) == 0
    assert notify_overdue_reviews(due + timedelta(minutes=1)) >= 1
    assert notify_overdue_reviews(due + timedelta(minutes=2)) == 0  # once per deadline
    message = _messages(late)[-1]
    assert message.event == "overdue" and "You may appeal on the progress page." in message.body
    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == late).order_by(CaseEvent.seq.desc())
    ).first()
    assert event.action == "review_overdue" and event.actor_kind == "system"
    assert on_time != late


def test_decided_cases_are_never_late(app, world):
    from worker.overdue import notify_overdue_reviews

    case_id = open_case_for(world.customer_id).id
    advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.APPROVED, approved_fen=100)
    assert notify_overdue_reviews(utcnow() + timedelta(days=30)) == 0


# -- the clock ---


def test_two_clocks_enqueue_each_periodic_job_once_per_slot(app):
    from worker.__main__ import PERIODIC_JOBS, tick

    now = 1_800_000_000.0
    first = tick(app, now)
    assert len(first) == len(PERIODIC_JOBS)
    assert tick(app, now + 0.5) == []  # another worker's clock, same slot
    later = tick(app, now + 20)
    assert "worker_jobs_sweep_outbox-" + str(int((now + 20) // 20)) in later
