"""Notification economy: which news reaches the phone (SMS, or a push for APP users) is policy data
(phone_news); every event is still written to the 站内信, in the customer's words."""

import copy

from flask_babel import force_locale
from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.cases.states import Actor, CaseState
from portal.extensions import db
from portal.notifications.labels import EVENT_TEXTS
from portal.notifications.models import InboxMessage
from portal.outbox import OutboxItem
from portal.policy.defaults import DEFAULT_RULES
from portal.policyeditor import services as editor
from tests.factories import advance, open_case_for

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
