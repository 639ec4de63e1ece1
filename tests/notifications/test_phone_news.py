"""Notification economy: which news reaches the phone (SMS, or a push for APP users) is policy data
(phone_news); every event is still written to the 站内信, in the customer's words."""

import copy
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from devtools.sandbox.server import SandboxServer
from portal.accounts.models import Customer, StaffUser
from portal.cases.models import RefundCase
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications import push
from portal.notifications.labels import EVENT_TEXTS
from portal.notifications.models import ConsoleSms, InboxMessage
from portal.outbox import OutboxItem
from portal.payouts.jobs import poll_payouts
from portal.policy.defaults import DEFAULT_RULES
from portal.policyeditor import services as editor
from tests.factories import advance, approve, fresh, open_case, open_case_for, sign_in_staff, situation_order
from tests.payouts.support import TEST_SECRET
from worker.jobs import deliver_outbox

STAFF_NODE_NAMES = ("责任方判定", "审核中心", "执行中")


def _inbox(case_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(InboxMessage.event).where(InboxMessage.case_id == case_id).order_by(InboxMessage.id)
        )
    )


def _phone(case_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxItem.template)
            .where(OutboxItem.case_id == case_id, OutboxItem.channel.in_(("sms", "push")))
            .order_by(OutboxItem.id)
        )
    )


def _publish_without(event: str) -> None:
    editor_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "editor"))
    draft = editor.start_draft(editor_id)
    rules = copy.deepcopy(draft.rules)
    rules["phone_news"]["events"].remove(event)
    draft.rules = rules
    editor.publish(draft, editor_id, "no SMS on submission")
    db.session.commit()


def test_every_phone_event_of_the_defaults_has_a_text():
    assert set(DEFAULT_RULES["phone_news"]["events"]) <= set(EVENT_TEXTS)


def test_the_policy_list_is_honoured_and_the_inbox_still_written(app, world):
    case_id = open_case_for(world.customer_id).id
    advance(case_id, CaseState.WITHDRAWN, actor=Actor.CUSTOMER)
    assert _inbox(case_id) == ["submitted", "withdrawn"]
    assert _phone(case_id) == ["case:submitted"]  # the customer withdrew it: 站内信 only

    _publish_without("submitted")
    other = open_case_for(world.customer_id).id
    assert _inbox(other) == ["submitted"]
    assert _phone(other) == []


def test_inbox_titles_are_the_customers_words(app):
    with app.test_request_context():
        for lang in ("zh_CN", "en"):
            with force_locale(lang):
                for key, texts in EVENT_TEXTS.items():
                    title = str(texts.title)
                    assert not any(name in title for name in STAFF_NODE_NAMES), (lang, key, title)
                    assert not any(name in str(texts.body) for name in STAFF_NODE_NAMES), (lang, key)


# -- how many messages a case sends: waiting, coalescing, the policy's window ---

WINDOW = timedelta(seconds=DEFAULT_RULES["phone_news"]["coalesce_seconds"])
S = CaseState


@pytest.fixture
def gateway(app):
    """The SANDBOX gateway: takes refunds at once, settles when the test says (then a poll finds it)."""
    server = SandboxServer(TEST_SECRET).start()
    server.switch(auto_settle=False, notify=False)
    app.config.update(
        PAYMENT_GATEWAY_URL=server.url,
        PAYMENT_GATEWAY_SECRET=TEST_SECRET,
        PAYMENT_GATEWAY_TIMEOUT=2.0,
        PAYOUT_QUERY_AFTER=0,
        PAYOUT_NOTIFY_BASE_URL="http://127.0.0.1:9",
    )
    yield server
    server.close()


def _delivered(case_id: int) -> list[OutboxItem]:
    """The case's messages that reached the phone (SMS or push), in order."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.case_id == case_id,
                OutboxItem.channel.in_(("sms", "push")),
                OutboxItem.status == "sent",
            )
            .order_by(OutboxItem.id)
        )
    )


def _later(clock, run_jobs, **delta) -> None:
    """Time passes (by default the window), and the worker does what has come due."""
    clock.advance(**(delta or {"seconds": WINDOW.total_seconds() + 1}))
    run_jobs()


def _money_arrives(gateway, clock, run_jobs) -> None:
    """The gateway settles a day later, and the payout poll learns it."""
    clock.advance(days=1)
    gateway.settle(True)
    poll_payouts()
    db.session.commit()


def _automatic_case(world, gateway, clock, run_jobs) -> int:
    case_id = open_case(situation_order("game_card_system_fault")).id
    run_jobs()  # automatic review approves, the payout starts at the gateway: seconds after submitting
    assert fresh(RefundCase, case_id).state == S.EXECUTING
    _later(clock, run_jobs)
    _money_arrives(gateway, clock, run_jobs)
    assert fresh(RefundCase, case_id).state == S.REFUNDED
    _later(clock, run_jobs)
    return case_id


def _manual_case(world, gateway, clock, run_jobs) -> int:
    case_id = open_case(situation_order("game_card_unused")).id
    _later(clock, run_jobs, hours=2)  # a reviewer asks for more evidence two hours later
    advance(case_id, S.UNDER_REVIEW)
    advance(case_id, S.MORE_EVIDENCE, requested_items=["other"], step_due_at=utcnow() + timedelta(days=3))
    _later(clock, run_jobs, hours=5)  # the customer sends it the same day
    advance(case_id, S.EVIDENCE_RECEIVED, actor=Actor.CUSTOMER)
    _later(clock, run_jobs, hours=20)  # the reviewer approves the next day; the payout starts at once
    approve(fresh(RefundCase, case_id))
    run_jobs()
    assert fresh(RefundCase, case_id).state == S.EXECUTING
    _later(clock, run_jobs)
    _money_arrives(gateway, clock, run_jobs)
    _later(clock, run_jobs)
    assert fresh(RefundCase, case_id).state == S.REFUNDED
    return case_id


def _counted(case_id: int, most: int, channel: str = "sms") -> list[str]:
    sent = _delivered(case_id)
    templates = [row.template for row in sent]
    assert len(sent) <= most, templates
    assert len(set(templates)) == len(templates), templates  # no news twice
    assert {row.channel for row in sent} == {channel}
    assert _inbox(case_id)[0] == "submitted" and _inbox(case_id)[-1] == "refunded"  # every step in 站内信
    return templates


def test_an_automatically_approved_and_paid_case_sends_at_most_two_sms(world, gateway, clock, run_jobs):
    case_id = _automatic_case(world, gateway, clock, run_jobs)
    # Accepted, approved and paid within seconds: one message with the latest state; then the money back.
    assert _counted(case_id, 2) == ["case:executing", "case:refunded"]
    superseded = db.session.scalars(
        select(OutboxItem.template).where(OutboxItem.case_id == case_id, OutboxItem.status == "superseded")
    ).all()
    assert superseded == ["case:submitted", "case:approved"]


def test_a_manual_case_with_one_evidence_request_sends_at_most_four_sms(world, gateway, clock, run_jobs):
    case_id = _manual_case(world, gateway, clock, run_jobs)
    assert _counted(case_id, 4) == [
        "case:submitted",
        "case:more_evidence",
        "case:executing",  # approved, then sent to the gateway at once: one message
        "case:refunded",
    ]


@pytest.mark.config(APP_PUSH_URL="http://127.0.0.1:9/push", APP_PUSH_SECRET="s")
def test_a_customer_with_the_app_gets_pushes_instead_in_the_same_numbers(
    world, gateway, clock, run_jobs, monkeypatch
):
    pushed = []
    monkeypatch.setattr(push, "deliver", lambda item, settings: pushed.append(item.template) or "push:200:")
    customer = db.session.get(Customer, world.customer_id)
    assert customer.has_app and not customer.sms_with_app
    automatic = _automatic_case(world, gateway, clock, run_jobs)
    assert _counted(automatic, 2, "push") == ["case:executing", "case:refunded"]
    manual = _manual_case(world, gateway, clock, run_jobs)
    assert len(_counted(manual, 4, "push")) == 4
    assert len(pushed) == 6


def test_a_superseded_message_is_not_sent_when_its_job_runs(app, world, clock, run_jobs):
    case_id = open_case_for(world.customer_id).id
    first = _phone_rows(case_id)[0]
    assert abs(first.send_after - first.created_at - WINDOW) < timedelta(seconds=1)
    advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)  # 站内信 only: nothing replaces the first
    assert [row.status for row in _phone_rows(case_id)] == ["pending"]
    advance(case_id, S.REJECTED, decision_reason_code="outside_policy")  # a minute later, the decision
    submitted, rejected = _phone_rows(case_id)
    assert (submitted.template, submitted.status) == ("case:submitted", "superseded")
    assert (rejected.template, rejected.status) == ("case:rejected", "pending")
    assert deliver_outbox(submitted.id) == "skipped"  # its scheduled job runs anyway
    assert deliver_outbox(rejected.id) == "early"  # not before its time
    _later(clock, run_jobs)
    assert [row.template for row in _delivered(case_id)] == ["case:rejected"]
    assert fresh(OutboxItem, submitted.id).status == "superseded" and _console_sms_for(submitted.id) == []
    staff = app.test_client()
    sign_in_staff(staff, app, "reviewer")
    page = staff.get("/staff/notifications?lang=en").get_data(as_text=True)
    listed = page.split("Replaced by later news")[1]
    assert f"#{submitted.id}</span> sms · case:submitted" in listed and f"#{rejected.id}<" not in listed


def test_news_after_the_window_is_a_message_of_its_own(world, clock, run_jobs):
    case_id = open_case_for(world.customer_id).id
    clock.advance(seconds=WINDOW.total_seconds() + 1)  # the first has gone out (or is going) by now
    advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.REJECTED, decision_reason_code="outside_policy")
    _later(clock, run_jobs)
    assert [row.template for row in _delivered(case_id)] == ["case:submitted", "case:rejected"]


def test_the_sign_in_code_is_sent_at_once(app, client, world, run_jobs):
    client.post("/login", data={"phone": "13800138000", "action": "send"})
    code = db.session.scalar(select(OutboxItem).where(OutboxItem.template == "sign_in_code"))
    assert code is not None and code.send_after is None
    run_jobs()  # no time passes
    assert fresh(OutboxItem, code.id).status == "sent"


def _phone_rows(case_id: int) -> list[OutboxItem]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(OutboxItem.case_id == case_id, OutboxItem.channel.in_(("sms", "push")))
            .order_by(OutboxItem.id)
        )
    )


def _console_sms_for(item_id: int) -> list[ConsoleSms]:
    return list(db.session.scalars(select(ConsoleSms).where(ConsoleSms.out_id == f"outbox-{item_id}")))
