"""Telling the customer that customer service answered: 站内信 always; APP push or SMS by preference, when the
policy's `phone_news` names the event."""

from flask_babel import force_locale

from portal import outbox
from portal.extensions import db
from portal.notifications.labels import EVENT_TEXTS, sms_params
from portal.notifications.models import InboxMessage
from portal.notifications.preferences import wants_sms
from portal.notifications.push import queue_push
from portal.policy.publishing import policy_in_force
from portal.support.labels import INBOX
from portal.support.models import Conversation

EVENT = "support_reply"


def tell_customer_answered(conversation: Conversation) -> None:
    """Write the inbox message and the push/SMS outbox rows in the caller's transaction."""
    customer = conversation.customer
    texts = EVENT_TEXTS[EVENT]
    params = {"number": conversation.number}
    with force_locale(customer.locale):
        title, body = str(texts.title), str(texts.body) % params
    db.session.add(
        InboxMessage(
            customer_id=customer.id, case_id=conversation.case_id, event=EVENT, title=title, body=body
        )
    )
    if EVENT not in policy_in_force()[1].phone_news.events:
        return
    template = f"case:{EVENT}"
    pushed = queue_push(customer, template, params, case_id=conversation.case_id) is not None
    if wants_sms(customer, pushed):
        outbox.add_sms(
            customer.phone,
            template,
            sms_params(params),
            customer.locale,
            customer_id=customer.id,
            case_id=conversation.case_id,
        )


def tell_in_inbox(customer, event: str, case_id: int | None, **params) -> None:
    """A 站内信 message only (complaints, green-channel answers), in the customer's language."""
    title, body = INBOX[event]
    with force_locale(customer.locale):
        db.session.add(
            InboxMessage(
                customer_id=customer.id,
                case_id=case_id,
                event=event,
                title=str(title),
                body=str(body) % params,
            )
        )
