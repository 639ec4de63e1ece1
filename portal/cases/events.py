"""Case events: what the case core announces, for the features to act on (blinker signals).

The core never imports a feature. It sends these signals, and the features that care subscribe from
the app factory (`portal.create_app` calls each feature's `subscribe()`), never by importing a module
for its side effects. Receivers run synchronously, in the sender's transaction: whatever they write
(outbox rows, a payout row, an appeal's assignment) is committed or rolled back with the change, and an
exception in a receiver stops the change as it would a call.

Blinker does not promise an order among the receivers of one signal, so each signal has a place of its
own in a move (services.move), and effects that must come in order hang on different signals:

1. `case_moved`: the state changed and the audit event is written; the customer is not told yet. What
   completes the step itself subscribes here (an appeal gets its senior and deadline, which the news names).
2. `case_announced`: the customer is to be told about `event` (also sent outside moves: a late review,
   a payout waiting for the customer's account).
3. `case_approved`: after the approval was told; the money starts moving.

`case_opened` is sent once a new case is written, its evidence attached and its risk flags raised,
before the submitting transaction commits. docs/architecture.md lists the signals and their subscribers.
"""

from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

from portal.cases.models import RefundCase
from portal.cases.states import Actor, CaseState

signals = Namespace()


@dataclass(frozen=True)
class CaseMove:
    """One move of a case, sent as the sender of `case_moved` and `case_approved`."""

    case: RefundCase
    event: str  # the audit action: the target state, or a named step ("evidence_deadline_passed")
    from_state: CaseState
    to_state: CaseState
    actor: Actor
    actor_id: int | None
    at: datetime


# Receivers: `def receiver(move: CaseMove) -> None`.
case_moved = signals.signal("case-moved", doc="A case changed state; sent before the customer is told.")
case_approved = signals.signal("case-approved", doc="A case was approved and the customer told.")
# Receivers: `def receiver(case: RefundCase, event: str) -> None`.
case_announced = signals.signal("case-announced", doc="The customer is to be told about `event`.")
# Receivers: `def receiver(case: RefundCase) -> None`.
case_opened = signals.signal("case-opened", doc="A new case is written and screened, not yet committed.")


def moved(move: CaseMove) -> None:
    case_moved.send(move)


def approved(move: CaseMove) -> None:
    case_approved.send(move)


def announced(case: RefundCase, event: str) -> None:
    case_announced.send(case, event=event)


def opened(case: RefundCase) -> None:
    case_opened.send(case)
