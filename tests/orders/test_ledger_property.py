"""Property: whatever sequence of requests, partial approvals, rejections, evidence requests, appeals,
arbitration outcomes, withdrawals, payouts, failures, retries and replays happens on one order, the order
never pays back more than was paid, nor more than its rules grant in total; and an amount above what
remains is refused with the remaining amount named."""

from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.cases import customer_actions
from portal.cases.models import RefundCase
from portal.cases.services import CaseError, assess_order
from portal.cases.states import CaseState, IllegalTransition
from portal.clock import utcnow
from portal.extensions import db
from portal.orders.kinds import Fulfilment, Usage
from portal.orders.models import Order
from portal.payouts import manual
from portal.payouts import services as payouts
from portal.payouts.gateways import SubmitKind, SubmitOutcome
from portal.payouts.models import Payout
from portal.payouts.services import PayoutError, PayoutSettings
from portal.payouts.states import OUTSTANDING, PayoutState, SuccessSource
from portal.policy import engine
from portal.policy.facts import order_facts
from portal.policy.publishing import published_version, ruleset_of
from portal.staff import services as staff_services
from tests.factories import add_evidence, demo_customer, new_order, open_case, staff

PERMILLES = st.integers(0, 1100)  # of the most allowed; above 1000 must be refused
STAFF = ("reviewer", "reviewer2", "senior", "admin")
SUBMIT = st.tuples(st.just("submit"), st.integers(0, 5), PERMILLES)
APPROVE = st.tuples(st.just("approve"), st.sampled_from(STAFF), st.one_of(st.none(), PERMILLES))
PAY = st.tuples(
    st.just("pay"), st.sampled_from([SubmitKind.ACCEPTED, SubmitKind.REJECTED, SubmitKind.UNKNOWN])
)
SETTLE = st.tuples(st.just("settle"), st.integers(1, 2))
# Submissions, approvals, payouts and settlements repeated so that sequences often reach money moving.
OPS = st.one_of(
    SUBMIT,
    SUBMIT,
    APPROVE,
    APPROVE,
    PAY,
    PAY,
    SETTLE,
    SETTLE,
    st.tuples(st.just("reject"), st.sampled_from(STAFF)),
    st.tuples(st.just("more_evidence"), st.sampled_from(STAFF)),
    st.tuples(st.just("send_back")),
    st.tuples(st.just("escalate"), st.sampled_from(STAFF)),
    st.tuples(st.just("arbitrate"), st.one_of(st.none(), PERMILLES), st.booleans()),
    st.tuples(st.just("appeal")),
    st.tuples(st.just("answer_appeal"), st.sampled_from(["approve", "reject", "return"]), PERMILLES),
    st.tuples(st.just("withdraw")),
    st.tuples(
        st.just("pay"), st.sampled_from([SubmitKind.ACCEPTED, SubmitKind.REJECTED, SubmitKind.UNKNOWN])
    ),
    st.tuples(st.just("settle"), st.integers(1, 2)),
    st.tuples(st.just("retry")),
    st.tuples(st.just("tick")),
)
# (sku, usage, used permille): a card (full / staff partial), a used item (30 % in all), a partly used one.
ORDERS = st.sampled_from(
    [
        ("GC-WOW-30", Usage.UNUSED, 0),
        ("GI-GEMS-6480", Usage.USED, 1000),
        ("GI-BUNDLE-100", Usage.PARTIALLY_USED, 300),
    ]
)
EXPECTED = (staff_services.DecisionError, CaseError, IllegalTransition, StaleDataError)


class OrderWorld:
    """One order of the demo customer, refunded through the real services; a clock that moves forward."""

    def __init__(self, customer_id: int, sku: str, usage: Usage, used: int, refunded_share: int):
        order = new_order(customer_id, sku=sku)
        order.usage, order.used_permille, order.fulfilment = usage, used, Fulfilment.CREDITED
        order.refunded_fen = order.amount_fen * refunded_share // 100
        db.session.commit()
        self.order_id, self.paid, self.before = order.id, order.amount_fen, order.refunded_fen
        self.grant = self._rules_grant(order)
        self.clock = utcnow()
        self.settings = PayoutSettings.from_config({})

    @staticmethod
    def _rules_grant(order: Order) -> int:
        """The most any of the order's refund types grants on it in all, as the rules say."""
        facts = order_facts(order, has_open_case=False)
        rules = ruleset_of(published_version())
        grants = [0]
        for refund_type in engine.offered_types(facts, rules, utcnow()):
            rule = rules.rule_for(facts.category, refund_type)
            if facts.usage in rule.amounts:
                grants.append(engine.entitled_total_fen(facts, rule.amounts[facts.usage]))
        return max(grants)

    def order(self) -> Order:
        return db.session.get(Order, self.order_id, populate_existing=True)

    def case(self) -> RefundCase | None:
        return db.session.scalar(
            select(RefundCase)
            .where(RefundCase.order_id == self.order_id)
            .order_by(RefundCase.id.desc())
            .limit(1)
        )

    def payouts(self) -> list[Payout]:
        return list(db.session.scalars(select(Payout).where(Payout.order_id == self.order_id)))

    def run(self, op: tuple) -> None:
        db.session.rollback()
        try:
            getattr(self, "op_" + op[0])(*op[1:])
            db.session.commit()
        except EXPECTED:
            db.session.rollback()
        db.session.rollback()
        self.check()

    # -- the customer ----------------------------------------------------------------------------------

    def op_submit(self, type_index: int, permille: int) -> None:
        order = self.order()
        offered = engine.offered_types(order_facts(order, False), ruleset_of(published_version()), utcnow())
        eligible = [a for a in (assess_order(order, t) for t in offered) if a.eligible]
        if not eligible:
            return
        assessment = eligible[type_index % len(eligible)]
        refund_type = assessment.refund_type
        most = engine.max_request_fen(assessment)
        amount = most * permille // 1000
        try:
            open_case(order, refund_type=refund_type, amount_fen=amount or -1)
        except CaseError as error:
            if error.code.startswith("amount_over"):
                assert amount > most and error.params["max_fen"] == most
            elif error.code == "amount_not_positive":
                assert amount <= 0
            raise
        assert 0 < amount <= most

    def op_send_back(self) -> None:
        case = self.case()
        if case is None or case.state != CaseState.MORE_EVIDENCE:
            return
        for item in case.requested_items:
            add_evidence(case.customer_id, item).case_id = case.id
        db.session.flush()
        db.session.expire(case)
        customer_actions.send_evidence_back(case, case.customer_id, utcnow())

    def op_appeal(self) -> None:
        case = self.case()
        if case is None:
            return
        if customer_actions.Action.APPEAL not in customer_actions.allowed_actions(case, utcnow()):
            return
        customer_actions.appeal(case, case.customer_id, "I disagree with this decision.", utcnow())

    def op_withdraw(self) -> None:
        case = self.case()
        if case is not None:
            customer_actions.withdraw(case, case.customer_id, "changed my mind")

    # -- staff --------------------------------------------------------------------------------------

    def _amount(self, case: RefundCase, permille: int | None) -> int | None:
        if permille is None:
            return None
        return staff_services.decision_cap(case) * permille // 1000 or 1

    def op_approve(self, who: str, permille: int | None) -> None:
        case = self.case()
        if case is not None:
            amount = self._amount(case, permille)
            cap = staff_services.decision_cap(case)
            try:
                staff_services.approve(case, case.version, staff(who), staff_services.Approval(amount))
            except staff_services.DecisionError as error:
                if error.code == "amount_over_cap":
                    assert amount > cap and error.params["cap"] == cap
                raise

    def op_reject(self, who: str) -> None:
        case = self.case()
        if case is not None:
            staff_services.reject(case, case.version, staff(who), staff_services.Rejection("item_used", "no"))

    def op_more_evidence(self, who: str) -> None:
        case = self.case()
        if case is not None:
            request = staff_services.EvidenceRequest(("other",), "Please send a clearer screenshot.")
            staff_services.request_evidence(case, case.version, staff(who), request, set())

    def op_escalate(self, who: str) -> None:
        case = self.case()
        if case is not None:
            staff_services.escalate(case, case.version, staff(who), "unclear")

    def op_arbitrate(self, permille: int | None, approved: bool) -> None:
        case = self.case()
        if case is not None:
            approval = staff_services.Approval(self._amount(case, permille)) if approved else None
            staff_services.record_arbitration(
                case, case.version, staff("senior"), "ARB-1", approval, "outcome"
            )

    def op_answer_appeal(self, kind: str, permille: int) -> None:
        case = self.case()
        if case is None or case.state != CaseState.APPEALED:
            return
        excluded = staff_services.excluded_from_appeal(case)
        who = staff("senior") if staff("senior").id not in excluded else staff("admin")
        if kind == "approve":
            approval = staff_services.Approval(self._amount(case, permille))
            staff_services.approve(case, case.version, who, approval)
        elif kind == "reject":
            staff_services.reject(case, case.version, who, staff_services.Rejection("item_used", "still no"))
        else:
            staff_services.return_to_review(case, case.version, who, "look again")

    # -- money -----------------------------------------------------------------------------------------

    def op_pay(self, kind: SubmitKind) -> None:
        for payout in self.payouts():
            ticket = payouts.claim(payout.id, self.settings, self.clock)
            if ticket is not None:
                payouts.record_submit(
                    payout.id, ticket.token, SubmitOutcome(kind, "X", "test"), self.settings
                )

    def op_settle(self, times: int) -> None:
        for payout in self.payouts():
            if payout.state == PayoutState.SUBMITTED:
                for _ in range(times):  # a replayed notification changes nothing
                    locked = payouts.lock_payout(payout.id)
                    payouts.apply_success(locked, SuccessSource.QUERY, "REF")
                    db.session.commit()

    def op_retry(self) -> None:
        for payout in self.payouts():
            if payout.state == PayoutState.MANUAL:
                try:
                    manual.retry_through_gateway(payout.id, staff("senior").id)
                except PayoutError:
                    db.session.rollback()

    def op_tick(self) -> None:
        self.clock += timedelta(hours=6)

    # -- the invariants ------------------------------------------------------------------------------

    def check(self) -> None:
        order = self.order()
        payouts_now = self.payouts()
        outstanding = sum(p.amount_fen for p in payouts_now if p.state in OUTSTANDING)
        believed = sum(p.amount_fen for p in payouts_now if p.state == PayoutState.SUCCEEDED)
        assert order.refunded_fen == self.before + believed <= self.paid
        assert order.refunded_fen + outstanding <= self.paid
        assert len({p.case_id for p in payouts_now}) == len(payouts_now)  # a case is paid at most once
        cases = db.session.scalars(select(RefundCase).where(RefundCase.order_id == self.order_id)).all()
        granted = sum(
            c.approved_fen or 0
            for c in cases
            if c.state in (CaseState.APPROVED, CaseState.EXECUTING, CaseState.MANUAL, CaseState.REFUNDED)
        )
        # Never more than the rules grant on the order in all (what went back before counts too).
        assert self.before + granted <= max(self.grant, self.before)
        # One open request per order; an appeal against a partial approval is the one linked exception.
        assert sum(1 for c in cases if c.is_open and c.appeal_of_id is None) <= 1
        linked = [c.appeal_of_id for c in cases if c.appeal_of_id is not None]
        assert len(linked) == len(set(linked))  # one appeal per case


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=ORDERS,
    refunded_share=st.sampled_from([0, 0, 10, 50]),
    ops=st.lists(OPS, min_size=15, max_size=45),
)
def test_no_sequence_pays_back_more_than_paid_or_granted(world, kind, refunded_share, ops):
    world = OrderWorld(demo_customer().id, *kind, refunded_share)
    for op in [("submit", 0, 1000), *ops]:
        world.run(op)
    cases = db.session.scalars(select(RefundCase).where(RefundCase.order_id == world.order_id)).all()
    event(f"{len(cases)} cases; last {cases[-1].state if cases else None}")  # --hypothesis-show-statistics
    event(f"refunded {'some' if world.order().refunded_fen > world.before else 'none'}")
