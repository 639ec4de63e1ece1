"""Refund policy engine: decides, from order facts and a RuleSet, whether and how much can be refunded."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, Usage
from portal.orders.ledger import PERMILLE, Ledger, percent_fen, share_fen
from portal.policy.kinds import AmountMethod, RefundType
from portal.policy.rules import AmountSpec, EvidenceItem, Rule, RuleSet

# When nothing is refundable, the reason shown on the order list is the most telling one.
_REASON_PRIORITY = (
    "finally_decided",
    "fulfilment_pending",
    "topup_credited",
    "software_too_recent",
    "trial_over",
    "already_used",
    "software_activated",
    "nothing_to_refund",
    "no_trial",
    "type_not_offered",
)


@dataclass(frozen=True)
class OrderFacts:
    """What the engine needs to know about an order; all datetimes naive UTC."""

    category: Category
    amount_fen: int
    refunded_fen: int
    paid_at: datetime
    fulfilment: Fulfilment
    usage: Usage
    delivery_status: DeliveryStatus
    used_permille: int = 0  # share consumed (0..1000), for game items
    activated_at: datetime | None = None
    last_used_at: datetime | None = None
    trial_ends_at: datetime | None = None
    abnormal: bool = False
    has_open_case: bool = False
    reserved_fen: int = 0  # claimed by open cases other than the one being assessed
    product_trial_days: int | None = None  # the product's own trial, when it has one
    finally_decided: frozenset[RefundType] = frozenset()  # types decided for good on this order

    def __post_init__(self) -> None:
        if self.amount_fen < 0 or self.refunded_fen < 0 or self.reserved_fen < 0:
            raise ValueError("amounts must not be negative")
        if not 0 <= self.used_permille <= PERMILLE:
            raise ValueError("used_permille must be within 0..1000")

    @property
    def ledger(self) -> Ledger:
        """The order's money: paid, gone back, claimed."""
        return Ledger(self.amount_fen, self.refunded_fen, self.reserved_fen)

    @property
    def cap_fen(self) -> int:
        """What can still be refunded at most: paid less refunded less claimed by open cases."""
        return self.ledger.remaining_fen

    @property
    def in_abnormal_state(self) -> bool:
        """Flagged abnormal, or the platform's own delivery record shows a failure."""
        return self.abnormal or self.delivery_status.is_platform_failure


@dataclass(frozen=True)
class Assessment:
    """The engine's answer for one order × refund type."""

    refund_type: RefundType
    eligible: bool
    reason_code: str  # a key of policy.labels.REASON_MESSAGES: the page says it in the reader's language
    suggested_fen: int
    cap_fen: int
    method: AmountMethod
    editable_amount: bool
    auto_approvable: bool
    checklist: tuple[EvidenceItem, ...]
    clause: str
    review_working_days: int
    eligible_from: datetime | None = None  # software_too_recent: when termination becomes possible
    deadline: datetime | None = None  # trial: when the no-reason window closes
    reason_required: bool = True  # False for no-reason (无理由) refunds
    condition: str | None = None  # the amount applies only when the customer reports this


@dataclass(frozen=True)
class OrderVerdict:
    """One order's refund badge for lists: refundable / not_refundable / in_progress / refunded."""

    state: str
    reason_code: str  # a key of policy.labels.REASON_MESSAGES
    max_fen: int = 0
    best_type: RefundType | None = None
    method: AmountMethod | None = None  # of the best type: staff_decides reads "partial refund"


def assess(facts: OrderFacts, refund_type: RefundType, rules: RuleSet, now: datetime) -> Assessment:
    """Assess whether this order may be refunded with this type, how much, and on which evidence."""
    clause = f"{facts.category.value}.{refund_type.value}"
    rule = rules.rule_for(facts.category, refund_type)
    if rule is None or not rule.allowed:
        return _refusal(facts, refund_type, "type_not_offered", clause, rules.review_working_days)
    days = rules.days_for(rule)
    if rules.final_decision_closes_type and refund_type in facts.finally_decided and not facts.has_open_case:
        return _refusal(facts, refund_type, "finally_decided", clause, days, rule.evidence)
    reason, eligible_from, deadline = _blocking_reason(facts, rule, now)
    if reason:
        refusal = _refusal(facts, refund_type, reason, clause, days, rule.evidence)
        return _with_times(refusal, eligible_from, deadline)
    spec = _amount_spec(facts, rule)
    suggested = _suggested_fen(facts, spec)
    if suggested <= 0:
        return _refusal(facts, refund_type, "nothing_to_refund", clause, days, rule.evidence)
    # Only the platform's own record can justify an automatic approval, and only for a usage the rule lists.
    auto = facts.delivery_status in rule.auto_approve_statuses and facts.usage in rule.amounts
    return Assessment(
        refund_type=refund_type,
        eligible=True,
        reason_code="ok",
        suggested_fen=suggested,
        cap_fen=facts.cap_fen,
        method=spec.method,
        editable_amount=True,
        auto_approvable=auto,
        checklist=_checklist(rule.evidence, auto),
        clause=clause,
        review_working_days=days,
        deadline=deadline,
        reason_required=rule.reason_required,
        condition=spec.condition if facts.usage in rule.amounts else None,
    )


def proven_by_delivery(facts: OrderFacts, assessments: list[Assessment]) -> Assessment | None:
    """The refund a platform delivery failure proves (eligible, approved automatically), for 一键退款."""
    if not facts.delivery_status.is_platform_failure:
        return None
    return next((a for a in assessments if a.eligible and a.auto_approvable), None)


def offered_types(facts: OrderFacts, rules: RuleSet, now: datetime) -> list[RefundType]:
    """Refund types this order's category offers, eligible now or not, in RefundType order."""
    by_type = rules.rules.get(facts.category, {})
    return [t for t in RefundType if t in by_type and by_type[t].allowed]


def verdict(facts: OrderFacts, rules: RuleSet, now: datetime) -> OrderVerdict:
    """Summarise an order's refund situation for a list badge."""
    if facts.ledger.fully_refunded:
        return OrderVerdict("refunded", "fully_refunded")
    if facts.has_open_case:
        return OrderVerdict("in_progress", "case_open")
    assessments = [assess(facts, t, rules, now) for t in offered_types(facts, rules, now)]
    eligible = [a for a in assessments if a.eligible]
    if plain := [a for a in eligible if a.condition is None]:
        best = max(plain, key=lambda a: a.suggested_fen)
        return OrderVerdict("refundable", "ok", best.suggested_fen, best.refund_type, best.method)
    if eligible:
        # Nothing as it stands; something only if the customer reports the rule's condition (a defect).
        best = max(eligible, key=lambda a: a.suggested_fen)
        code = best.condition or "ok"
        return OrderVerdict("conditional", code, best.suggested_fen, best.refund_type, best.method)
    if not assessments:
        return OrderVerdict("not_refundable", "no_refund_types")
    codes = {a.reason_code for a in assessments}
    code = next((c for c in _REASON_PRIORITY if c in codes), assessments[0].reason_code)
    return OrderVerdict("not_refundable", code)


def max_request_fen(assessment: Assessment) -> int:
    """The most a customer may ask for with this type now.

    The rule's grant (the suggested amount); under STAFF_DECIDES staff set the figure, so the customer
    may ask for anything the order can still give back and the suggestion is only a guide.
    """
    if not assessment.eligible:
        return 0
    if assessment.method is AmountMethod.STAFF_DECIDES:
        return assessment.cap_fen
    return min(assessment.suggested_fen, assessment.cap_fen)


def validate_amount(assessment: Assessment, requested_fen: int) -> str | None:
    """Check a customer's requested amount; returns an error code (see AMOUNT_ERRORS) or None.

    Every amount error is shown with `max_request_fen`, so the customer sees what remains.
    """
    if not assessment.eligible:
        return "not_eligible"
    if requested_fen <= 0:
        return "amount_not_positive"
    if requested_fen > assessment.cap_fen:
        return "amount_over_cap"
    if requested_fen > max_request_fen(assessment):
        return "amount_over_suggested"
    return None


def _blocking_reason(
    facts: OrderFacts, rule: Rule, now: datetime
) -> tuple[str, datetime | None, datetime | None]:
    """First reason the order cannot use this rule, with the relevant moments; "" when none."""
    if facts.ledger.fully_refunded:
        return "fully_refunded", None, None
    if facts.has_open_case:
        return "case_open", None, None
    if rule.refuse_while_pending and facts.delivery_status is DeliveryStatus.PENDING:
        return "fulfilment_pending", None, None
    if rule.refuse_if_credited and facts.fulfilment is Fulfilment.CREDITED and not facts.in_abnormal_state:
        return "topup_credited", None, None
    if facts.usage not in rule.amounts and not facts.in_abnormal_state:
        return "already_used", None, None
    if rule.unactivated_days is not None:
        reason, eligible_from = _unactivated_reason(facts, rule.unactivated_days, now)
        if reason:
            return reason, eligible_from, None
    if rule.trial:
        end = _trial_end(facts, rule)
        if end is None:
            return "no_trial", None, None
        if now >= end:
            return "trial_over", None, end
        return "", None, end
    return "", None, None


def _unactivated_reason(facts: OrderFacts, days: int, now: datetime) -> tuple[str, datetime | None]:
    # "Not activated and no usage for more than 7 days": counted from purchase, at least days×24h.
    if facts.activated_at or facts.last_used_at or facts.usage is not Usage.UNUSED:
        return "software_activated", None
    eligible_from = facts.paid_at + timedelta(days=days)
    if now < eligible_from:
        return "software_too_recent", eligible_from
    return "", None


def _trial_end(facts: OrderFacts, rule: Rule) -> datetime | None:
    """The order's own trial end; else the product's own trial days; else the policy's default."""
    if facts.trial_ends_at is not None:
        return facts.trial_ends_at
    if facts.product_trial_days:
        return facts.paid_at + timedelta(days=facts.product_trial_days)
    if rule.trial_days is not None:
        return facts.paid_at + timedelta(days=rule.trial_days)
    return None


def _amount_spec(facts: OrderFacts, rule: Rule) -> AmountSpec:
    # An abnormal order whose usage the rule does not list counts as unused: the fault is not the customer's.
    if facts.usage in rule.amounts:
        return rule.amounts[facts.usage]
    return rule.amounts.get(Usage.UNUSED) or next(iter(rule.amounts.values()))


def entitled_total_fen(facts: OrderFacts, spec: AmountSpec) -> int:
    """What the rule grants on the whole order, before anything went back (rounded down to the fen)."""
    if spec.method is AmountMethod.FULL:
        return facts.amount_fen
    if spec.method is AmountMethod.PRO_RATA:
        return share_fen(facts.amount_fen, PERMILLE - facts.used_permille)
    if spec.method in (AmountMethod.PERCENT, AmountMethod.STAFF_DECIDES):
        return percent_fen(facts.amount_fen, spec.percent)
    return 0


def _suggested_fen(facts: OrderFacts, spec: AmountSpec) -> int:
    """The rule's grant less what already went back or is claimed, within what the order still has."""
    return facts.ledger.entitled(entitled_total_fen(facts, spec))


def _checklist(items: tuple[EvidenceItem, ...], auto: bool) -> tuple[EvidenceItem, ...]:
    # When the platform's own record proves the failure, evidence helps but must not hold the case up.
    if not auto:
        return items
    return tuple(EvidenceItem(i.key, False, i.kinds) for i in items)


def _refusal(
    facts: OrderFacts,
    refund_type: RefundType,
    reason: str,
    clause: str,
    days: int,
    checklist: tuple[EvidenceItem, ...] = (),
) -> Assessment:
    return Assessment(
        refund_type=refund_type,
        eligible=False,
        reason_code=reason,
        suggested_fen=0,
        cap_fen=facts.cap_fen,
        method=AmountMethod.NONE,
        editable_amount=False,
        auto_approvable=False,
        checklist=checklist,
        clause=clause,
        review_working_days=days,
    )


def _with_times(a: Assessment, eligible_from: datetime | None, deadline: datetime | None) -> Assessment:
    if eligible_from is None and deadline is None:
        return a
    return replace(a, eligible_from=eligible_from, deadline=deadline)
