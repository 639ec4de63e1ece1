"""Bridge events: what a page inside the APP tells the APP, decided on the server (pure: no Flask, no DB).

Case events (submitted, a decision, the payout's result) become bridge events the next time the customer's
page renders in embed mode; `close` and `open_external` are sent by static/js/bridge.js on a tap.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

CASE_SUBMITTED = "case_submitted"
DECISION_ARRIVED = "decision_arrived"
PAYOUT_RESULT = "payout_result"
CLOSE = "close"
OPEN_EXTERNAL = "open_external"

EVENT_NAMES = (CASE_SUBMITTED, DECISION_ARRIVED, PAYOUT_RESULT, CLOSE, OPEN_EXTERNAL)
# 第三方仲裁 is reported as a decision too: it is the outcome of the review the customer waits for.
DECISION_STATES = frozenset({"approved", "rejected", "arbitration"})
PAYOUT_STATES = frozenset({"refunded"})


@dataclass(frozen=True)
class CaseChange:
    """One logged state change of a customer's case, with the case facts a payload needs."""

    event_id: int
    case_id: int
    case_number: str
    order_number: str
    from_state: str | None
    to_state: str | None
    requested_fen: int
    approved_fen: int | None
    payment_route: str
    url: str


@dataclass(frozen=True)
class BridgeEvent:
    id: str
    name: str
    payload: dict = field(default_factory=dict)

    def payload_json(self) -> str:
        """The payload as compact JSON, for a data attribute."""
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def event_for(change: CaseChange) -> BridgeEvent | None:
    """The bridge event a case change causes, if any."""
    base = {
        "case": change.case_number,
        "case_id": change.case_id,
        "order": change.order_number,
        "state": change.to_state,
        "url": change.url,
    }
    event_id = f"case-event-{change.event_id}"
    if change.from_state is not None and change.from_state == change.to_state:
        return None  # a log entry that changed no state (a claim, an assignment): no news for the APP
    if change.from_state is None and change.to_state == "submitted":
        return BridgeEvent(event_id, CASE_SUBMITTED, {**base, "amount_fen": change.requested_fen})
    if change.to_state in DECISION_STATES:
        amount = (change.approved_fen or change.requested_fen) if change.to_state == "approved" else None
        return BridgeEvent(
            event_id, DECISION_ARRIVED, {**base, "decision": change.to_state, "amount_fen": amount}
        )
    if change.to_state in PAYOUT_STATES:
        payload = {
            **base,
            "result": change.to_state,
            "amount_fen": change.approved_fen or change.requested_fen,
            "route": change.payment_route,
        }
        return BridgeEvent(event_id, PAYOUT_RESULT, payload)
    return None


def events_for(changes: Iterable[CaseChange]) -> list[BridgeEvent]:
    """Bridge events for these changes, oldest first; changes the APP need not know about are skipped."""
    return [event for change in changes if (event := event_for(change)) is not None]
