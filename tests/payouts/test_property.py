"""Property: whatever mix of partial refunds, retries, timeouts, failures and replays happens,
the money refunded never exceeds what was paid, we never believe more than actually moved, and
no request number is ever sent with two different amounts."""

import io
from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from portal.cases.models import RefundCase
from portal.cases.services import open_case_for
from portal.clock import utcnow
from portal.evidence.inspect import process
from portal.evidence.storage import LocalStorage
from portal.extensions import db
from portal.orders.kinds import PaymentRoute
from portal.orders.models import Order
from portal.payouts import manual, services
from portal.payouts.models import ManualTransfer, Payout
from portal.payouts.services import PayoutError
from portal.payouts.states import PayoutState
from portal.payouts.states import SuccessSource as Source
from tests.factories import approve, make_case, make_order
from tests.payouts.support import deliver
from tests.payouts.support import settings as payout_settings

SWITCHES = ("timeout", "drop", "reject", "error", "never_settle", "fail", "query_timeout")
PARAMS = {
    "approve": st.integers(1, 130),  # percent of what was paid (over 100: must be refused)
    "settle": st.booleans(),
    "deliver": st.tuples(st.integers(0, 50), st.integers(1, 3)),  # which notification, how many times
    "switch": st.sampled_from(SWITCHES),
}
# Kinds repeated to weight them: failures and polls must happen often enough to reach manual handling.
KINDS = ["approve"] * 3 + ["execute"] * 2 + ["poll"] * 4 + ["settle"] * 4 + ["deliver"] * 3 + ["switch"] * 2
KINDS += ["staff_retry", "staff_pay"]
OPS = st.sampled_from(KINDS).flatmap(
    lambda kind: (
        PARAMS[kind].map(lambda p: (kind, *(p if isinstance(p, tuple) else (p,))))
        if kind in PARAMS
        else st.just((kind,))
    )
)


def _proof():
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return process(out.getvalue())


class Scenario:
    """One order being refunded, the sandbox behind it, and a clock that only moves forward."""

    def __init__(self, app, gateway, client, route, paid):
        self.app, self.gateway, self.client = app, gateway, client
        self.order = make_order(route, paid)
        db.session.commit()
        self.order_id, self.trade, self.route, self.paid = self.order.id, self.order.number, str(route), paid
        self.clock = utcnow()
        self.settings = payout_settings()
        self.storage = LocalStorage(app.config["UPLOAD_FOLDER"] + "/proofs")
        self.refs = 0

    def payouts(self) -> list[Payout]:
        db.session.rollback()
        return list(
            db.session.scalars(select(Payout).where(Payout.order_id == self.order_id).order_by(Payout.id))
        )

    def run(self, op) -> None:
        getattr(self, "op_" + op[0])(*op[1:])
        db.session.rollback()
        self.check()

    def op_approve(self, percent: int) -> None:
        if open_case_for(self.order_id) is not None:
            return  # one open case per order: the portal offers no second approval meanwhile
        order = db.session.get(Order, self.order_id, populate_existing=True)
        amount = max(1, self.paid * percent // 100)
        outstanding = sum(p.amount_fen for p in self.payouts() if p.state != PayoutState.SUCCEEDED)
        case = make_case(order, amount)
        try:
            approve(case, amount)
        except PayoutError as exc:
            assert exc.code == "exceeds_refundable"
            assert order.refunded_fen + outstanding + amount > self.paid
            db.session.rollback()
            return
        assert order.refunded_fen + outstanding + amount <= self.paid

    def op_execute(self) -> None:
        for p in self.payouts():
            services.execute(p.id, self.settings, self.clock)

    def op_poll(self) -> None:
        self.clock += timedelta(hours=1)
        services.poll(self.settings, self.clock)

    def op_settle(self, success: bool) -> None:
        self.gateway.settle(success)

    def op_deliver(self, index: int, times: int) -> None:
        notes = self.gateway.notifications()
        if notes:
            for _ in range(times):
                assert deliver(self.client, notes[index % len(notes)]).status_code in (200, 400)

    def op_switch(self, name: str) -> None:
        self.gateway.switch(**{name: 1})

    def op_staff_retry(self) -> None:
        for p in self.payouts():
            if p.state == PayoutState.MANUAL and p.route != PaymentRoute.OFFLINE:
                manual.retry_through_gateway(p.id, self.staff_id())

    def op_staff_pay(self) -> None:
        for p in self.payouts():
            if p.state == PayoutState.MANUAL:
                self.refs += 1
                record = manual.TransferRecord(f"REF-{self.trade}-{self.refs}", "", _proof())
                try:
                    manual.record_transfer(p.id, self.staff_id(), record, self.storage, self.settings)
                except PayoutError as exc:
                    assert exc.code in ("gateway_paid", "gateway_unsure"), exc.code
                    db.session.rollback()

    def staff_id(self) -> int:
        from tests.factories import new_staff

        user = new_staff()
        db.session.commit()
        return user.id

    def check(self) -> None:
        """The invariants, after every step."""
        order = db.session.get(Order, self.order_id, populate_existing=True)
        payouts = self.payouts()
        moved = self.gateway.state.ledger.refunded_total(self.route, self.trade)
        by_hand = sum(
            t.payout.amount_fen
            for t in db.session.scalars(
                select(ManualTransfer).where(ManualTransfer.payout_id.in_([p.id for p in payouts]))
            )
        )
        believed = sum(p.amount_fen for p in payouts if p.state == PayoutState.SUCCEEDED)
        # Never more than was paid — neither what we believe nor what really went back.
        assert order.refunded_fen <= order.amount_fen
        assert moved + by_hand <= self.paid
        # We believe only what moved (success comes from the gateway's word or a staff transfer).
        assert order.refunded_fen == believed
        assert believed <= moved + by_hand
        assert sum(p.amount_fen for p in payouts if p.success_source == Source.MANUAL) == by_hand
        # A request number is only ever sent with one amount, and it is the payout's.
        amounts = defaultdict(set)
        for s in self.gateway.submissions():
            if s["trade_no"] == self.trade:  # a request of an earlier example may arrive late
                amounts[s["request_no"]].add(s["amount_fen"])
        ours = {p.request_no: p.amount_fen for p in payouts}
        for request_no, seen in amounts.items():
            assert seen == {ours[request_no]}, (request_no, seen)
        assert len(set(ours)) == len(payouts) == len({p.case_id for p in payouts})

    def drain(self) -> None:
        """Switches off, everything settles and is queried: our books match the gateway's exactly."""
        self.gateway.state.switches.reset()
        self.gateway.switch(auto_settle=False, notify=False, hang_seconds=0.3)
        for _ in range(3):
            self.op_poll()
            self.op_execute()
            self.gateway.settle(True)
            for p in self.payouts():
                if p.state != PayoutState.SUCCEEDED:
                    services.query(p.id, self.settings)
        self.check()
        payouts = self.payouts()
        gateway_paid = sum(
            p.amount_fen
            for p in payouts
            if p.state == PayoutState.SUCCEEDED and p.success_source != Source.MANUAL
        )
        stuck = {r.request_no for r in self.gateway.refunds() if r.never_settle}
        assert gateway_paid == self.gateway.state.ledger.refunded_total(self.route, self.trade)
        for p in payouts:
            assert p.state in (PayoutState.SUCCEEDED, PayoutState.MANUAL) or p.request_no in stuck, p.state
            case = db.session.get(RefundCase, p.case_id)
            if p.state == PayoutState.SUCCEEDED and p.success_source != Source.MANUAL:
                assert case.state in ("refunded", "manual")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from([PaymentRoute.ALIPAY, PaymentRoute.WECHAT, PaymentRoute.BANK_CARD]),
    paid=st.integers(1, 100_000),
    first=st.integers(1, 100),
    ops=st.lists(OPS, min_size=15, max_size=50),
)
def test_refunds_never_exceed_what_was_paid(app, gateway, db, client, route, paid, first, ops):
    app.config.update(PAYMENT_GATEWAY_TIMEOUT=0.2, PAYOUT_MAX_FAILURES=2)
    gateway.state.reset()
    gateway.switch(auto_settle=False, notify=False, hang_seconds=0.3)
    scenario = Scenario(app, gateway, client, route, paid)
    for op in [("approve", first), *ops]:
        scenario.run(op)
    scenario.drain()
    for p in scenario.payouts():  # what the examples reached: see --hypothesis-show-statistics
        event(f"payout {p.state} via {p.success_source}, {p.failures} failures")
