"""申诉 against a partial approval: a linked case of its own for the part not granted.

The partly approved case keeps its decision and its payout: the customer keeps what was granted,
whatever the appeal says. The appeal is a new case (`appeal_of_id` → the partly approved one), opened
in the appealed state for what was asked and not granted, so it gets a senior and a 24-hour deadline as
every appeal does (staff.appeals subscribes to the move), and — when the senior grants more — a payout of
its own: one payout per case and the payouts' at-most-once guarantees stay as they are, and the order's
ledger (which spans its cases) bounds the total. An answered appeal is final (`final_decision`), so the
policy's `final_decision_closes_type` closes the type for the order. docs/lifecycle.md explains the choice.

Plain functions (no Flask); the caller commits.
"""

from datetime import datetime

from sqlalchemy import select

from portal.cases import events
from portal.cases.auditlog import append_event
from portal.cases.events import CaseMove
from portal.cases.models import RefundCase
from portal.cases.services import announce, new_case_number, open_case_for, order_ledger
from portal.cases.states import Actor, CaseState
from portal.extensions import db
from portal.orders.models import Order
from portal.policy import engine
from portal.policy.facts import order_facts
from portal.policy.models import PolicyVersion
from portal.policy.publishing import ruleset_of

# A partly approved case may be appealed while its granted part is being paid and after it was paid.
APPEALABLE_STATES = frozenset({CaseState.APPROVED, CaseState.EXECUTING, CaseState.MANUAL, CaseState.REFUNDED})
# The log's names: on the appeal ("appealed", as every appeal) and on the case appealed against.
APPEALED_ACTION = "appealed"
LINKED_ACTION = "partial_appealed"


class NotAppealable(ValueError):
    """The case cannot be appealed (any more): not partly approved, final, already appealed, or busy."""


def remainder_fen(case: RefundCase) -> int:
    """What the customer asked for and was not granted."""
    if case.approved_fen is None:
        return 0
    return max(0, case.requested_fen - case.approved_fen)


def partly_approved(case: RefundCase) -> bool:
    """Approved for less than was asked, by a decision that is not final (an appeal answer or arbitration)."""
    return (
        CaseState(case.state) in APPEALABLE_STATES
        and remainder_fen(case) > 0
        and not case.final_decision
        and case.appeal_of_id is None
    )


def grantable_fen(appeal: RefundCase) -> int:
    """The most a senior may grant on the appeal: what was asked and not granted, within what the order's
    ledger still has (paid − refunded − reserved by its other cases) and within what the rule the request was
    made under still grants on the order in all (a rule grants its share once, whatever cases it took)."""
    order = appeal.order
    ledger = order_ledger(order, excluding_case_id=appeal.id)
    version = db.session.get(PolicyVersion, appeal.policy_version_id) if appeal.policy_version_id else None
    facts = order_facts(order, has_open_case=False)
    rule = ruleset_of(version).rule_for(facts.category, appeal.refund_type)
    spec = rule.amounts.get(facts.usage) if rule is not None else None
    granted = ledger.entitled(engine.entitled_total_fen(facts, spec)) if spec is not None else 0
    return max(0, min(appeal.requested_fen, ledger.remaining_fen, granted))


def appeal_against(case_id: int) -> RefundCase | None:
    """The appeal lodged against this case's partial approval, if any."""
    return db.session.scalar(select(RefundCase).where(RefundCase.appeal_of_id == case_id))


def may_appeal(case: RefundCase) -> bool:
    """Whether the customer may appeal the partial approval now: not yet appealed, and no other request of
    the order is open (one request at a time; the partly approved case itself may still be paying out)."""
    if not partly_approved(case) or appeal_against(case.id) is not None:
        return False
    open_now = open_case_for(case.order_id)
    return open_now is None or open_now.id == case.id


def open_appeal(case: RefundCase, customer_id: int, text: str, now: datetime) -> RefundCase:
    """Open the appeal for the remainder, routed like every appeal; raises NotAppealable.

    The order's row lock orders it with new requests and payouts; the unique `appeal_of_id` makes a
    double submit one appeal (the loser's flush raises IntegrityError: the caller finds the winner).
    """
    db.session.scalar(select(Order).where(Order.id == case.order_id).with_for_update(of=Order))
    if case.customer_id != customer_id or not may_appeal(case):
        raise NotAppealable(case.id)
    appeal = RefundCase(
        number=new_case_number(now),
        order_id=case.order_id,
        customer_id=customer_id,
        refund_type=case.refund_type,
        state=CaseState.APPEALED,
        is_open=True,
        reason_text=text,
        requested_fen=remainder_fen(case),
        suggested_fen=remainder_fen(case),
        clause=case.clause,
        policy_version_id=case.policy_version_id,
        idempotency_key=f"appeal-of-{case.id}",
        green_channel=case.green_channel,
        appeal_of_id=case.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appeal)
    db.session.flush()
    data = {"grounds": "partial", "appeal_of": case.id, "amount_fen": appeal.requested_fen}
    append_event(appeal, APPEALED_ACTION, Actor.CUSTOMER, customer_id, None, CaseState.APPEALED, text, data)
    append_event(
        case, LINKED_ACTION, Actor.CUSTOMER, customer_id, case.state, case.state, data={"appeal": appeal.id}
    )
    # The decision appealed against was an approval: subscribers route it to a senior with its deadline.
    move = CaseMove(
        appeal, APPEALED_ACTION, CaseState.APPROVED, CaseState.APPEALED, Actor.CUSTOMER, customer_id, now
    )
    events.moved(move)
    announce(appeal, APPEALED_ACTION)
    return appeal
