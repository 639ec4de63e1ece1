"""What a case event means for the customer: an in-app message and an SMS, written with the change."""

from flask_babel import force_locale

from portal.cases.models import RefundCase
from portal.embed.push import queue_push
from portal.extensions import db
from portal.notifications import outbox
from portal.notifications.models import InboxMessage
from portal.notifications.texts import EVENT_TEXTS


def notify_customer(case: RefundCase, event: str) -> None:
    """Write the inbox message and the SMS outbox row for this event, if the event is one we announce."""
    texts = EVENT_TEXTS.get(event)
    if texts is None:
        return
    customer = case.customer
    params = {
        "number": case.number,
        "due": case.review_due_at.strftime("%Y-%m-%d") if case.review_due_at else "",
    }
    with force_locale(customer.locale):
        title, body = str(texts[0]), str(texts[1]) % params
    db.session.add(
        InboxMessage(customer_id=customer.id, case_id=case.id, event=event, title=title, body=body)
    )
    queue_push(customer, f"case:{event}", params, case_id=case.id)  # the APP's push, if the customer has it
    if customer.sms_opt_in:
        outbox.add_sms(
            customer.phone, f"case:{event}", params, customer.locale, customer_id=customer.id, case_id=case.id
        )
