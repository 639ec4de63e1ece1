"""Refund rules as data: a versionable, JSON-serialisable RuleSet that policy editors can change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.orders.kinds import Category, DeliveryStatus, Usage
from portal.policy.kinds import AmountMethod, RefundType

EVIDENCE_KINDS = frozenset({"image", "pdf"})
# Conditions a customer's request must state for an amount to apply (shown with the amount on the order).
AMOUNT_CONDITIONS = frozenset({"functional_defect"})
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class EvidenceItem:
    """One line of the evidence checklist: what to upload and in which file kinds."""

    key: str
    required: bool
    kinds: tuple[str, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EvidenceItem:
        """Build and validate one checklist item."""
        _no_unknown_keys(d, {"key", "required", "kinds"}, "evidence item")
        key = d.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError("evidence item needs a non-empty key")
        kinds = tuple(d.get("kinds", ("image",)))
        if len(set(kinds)) != len(kinds) or not kinds or not set(kinds) <= EVIDENCE_KINDS:
            raise ValueError(f"evidence {key}: kinds must be a non-empty subset of {sorted(EVIDENCE_KINDS)}")
        return cls(key=key, required=_bool(d.get("required", True), f"evidence {key}.required"), kinds=kinds)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"key": self.key, "required": self.required, "kinds": list(self.kinds)}


@dataclass(frozen=True)
class AmountSpec:
    """How much is refunded: a method and, for PERCENT / STAFF_DECIDES, a whole percentage."""

    method: AmountMethod
    percent: int = 100
    # Only when the customer reports this (e.g. a used item with a functional defect); None: always.
    condition: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str) -> AmountSpec:
        """Build and validate an amount spec."""
        _no_unknown_keys(d, {"method", "percent", "condition"}, where)
        condition = d.get("condition")
        if condition is not None and condition not in AMOUNT_CONDITIONS:
            raise ValueError(
                f"{where}.condition must be one of {sorted(AMOUNT_CONDITIONS)}, got {condition!r}"
            )
        try:
            method = AmountMethod(d["method"])
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{where}: unknown amount method {d.get('method')!r}") from exc
        percent = _int(d.get("percent", 100), f"{where}.percent")
        if not 0 <= percent <= 100:
            raise ValueError(f"{where}.percent must be within 0..100, got {percent}")
        return cls(method=method, percent=percent, condition=condition)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (percent only where it means something)."""
        out: dict[str, Any] = {"method": self.method.value}
        if self.method in (AmountMethod.PERCENT, AmountMethod.STAFF_DECIDES):
            out["percent"] = self.percent
        if self.condition is not None:
            out["condition"] = self.condition
        return out


@dataclass(frozen=True)
class Rule:
    """The rule for one category × refund type."""

    allowed: bool
    # Usage states this type admits, each with its own amount; abnormal orders bypass this gate.
    amounts: Mapping[Usage, AmountSpec]
    evidence: tuple[EvidenceItem, ...] = ()
    # Delivery statuses that prove the platform failed, so the case may be approved automatically.
    auto_approve_statuses: frozenset[DeliveryStatus] = frozenset()
    review_working_days: int | None = None  # None: the rule set's global value
    unactivated_days: int | None = None  # software: days since purchase with no activation/usage
    trial: bool = False  # only within the trial period
    trial_days: int | None = None  # trial window from paid_at when the order has no explicit end
    refuse_if_credited: bool = False  # top-up: nothing refundable once credited
    # A top-up or delivery whose result is still pending cannot be refunded until it settles
    # (the carrier may still credit it).
    refuse_while_pending: bool = False
    reason_required: bool = True  # 试用期无理由退款: the customer need not say why
    # When the platform learns that its delivery failed (a status in auto_approve_statuses), the request is
    # opened for the customer and approved automatically, without their asking.
    open_on_failure: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str) -> Rule:
        """Build and validate one rule."""
        _no_unknown_keys(d, _RULE_KEYS, where)
        amounts_in = d.get("amounts") or {}
        if not isinstance(amounts_in, Mapping):
            raise ValueError(f"{where}.amounts must be an object")
        amounts: dict[Usage, AmountSpec] = {}
        for usage_key, spec in amounts_in.items():
            try:
                usage = Usage(usage_key)
            except ValueError as exc:
                raise ValueError(f"{where}.amounts: unknown usage {usage_key!r}") from exc
            amounts[usage] = AmountSpec.from_dict(spec, f"{where}.amounts.{usage_key}")
        allowed = _bool(d.get("allowed", True), f"{where}.allowed")
        if allowed and not amounts:
            raise ValueError(f"{where}: an allowed rule needs at least one usage amount")
        cond = d.get("conditions") or {}
        _no_unknown_keys(cond, _CONDITION_KEYS, f"{where}.conditions")
        try:
            statuses = frozenset(DeliveryStatus(s) for s in d.get("auto_approve_statuses", ()))
        except ValueError as exc:
            raise ValueError(f"{where}.auto_approve_statuses: {exc}") from exc
        return cls(
            allowed=allowed,
            amounts=amounts,
            evidence=tuple(EvidenceItem.from_dict(e) for e in d.get("evidence", ())),
            auto_approve_statuses=statuses,
            review_working_days=_days(d.get("review_working_days"), f"{where}.review_working_days"),
            unactivated_days=_days(cond.get("unactivated_days"), f"{where}.conditions.unactivated_days"),
            trial=_bool(cond.get("trial", False), f"{where}.conditions.trial"),
            trial_days=_days(cond.get("trial_days"), f"{where}.conditions.trial_days"),
            refuse_if_credited=_bool(cond.get("refuse_if_credited", False), f"{where}.conditions"),
            refuse_while_pending=_bool(cond.get("refuse_while_pending", False), f"{where}.conditions"),
            reason_required=_bool(d.get("reason_required", True), f"{where}.reason_required"),
            open_on_failure=_bool(d.get("open_on_failure", False), f"{where}.open_on_failure"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, stable key order so stored versions diff cleanly."""
        cond: dict[str, Any] = {}
        if self.unactivated_days is not None:
            cond["unactivated_days"] = self.unactivated_days
        if self.trial:
            cond["trial"] = True
        if self.trial_days is not None:
            cond["trial_days"] = self.trial_days
        if self.refuse_if_credited:
            cond["refuse_if_credited"] = True
        if self.refuse_while_pending:
            cond["refuse_while_pending"] = True
        out: dict[str, Any] = {
            "allowed": self.allowed,
            "amounts": {u.value: s.to_dict() for u, s in self.amounts.items()},
            "conditions": cond,
            "auto_approve_statuses": sorted(s.value for s in self.auto_approve_statuses),
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.review_working_days is not None:
            out["review_working_days"] = self.review_working_days
        if not self.reason_required:
            out["reason_required"] = False
        if self.open_on_failure:
            out["open_on_failure"] = True
        return out


@dataclass(frozen=True)
class PhoneNews:
    """Which case news reaches the customer's phone (SMS, or an APP push), and how news is coalesced.

    Every other event is told in the 站内信 only. News about one case that follows an unsent earlier one
    within `coalesce_seconds` replaces it, so one message tells the latest state.
    """

    events: tuple[str, ...]  # keys of notifications.labels.EVENT_TEXTS
    coalesce_seconds: int

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PhoneNews:
        _no_unknown_keys(d, {"events", "coalesce_seconds"}, "phone_news")
        events = d.get("events")
        if not isinstance(events, list) or not all(
            isinstance(e, str) and e.replace("_", "").isalpha() and e.islower() for e in events
        ):
            raise ValueError("phone_news.events must be a list of event keys")
        if len(set(events)) != len(events):
            raise ValueError("phone_news.events names an event twice")
        seconds = _int(d.get("coalesce_seconds"), "phone_news.coalesce_seconds")
        if not 0 <= seconds <= MAX_COALESCE_SECONDS:
            raise ValueError(f"phone_news.coalesce_seconds must be between 0 and {MAX_COALESCE_SECONDS}")
        return cls(events=tuple(events), coalesce_seconds=seconds)

    def to_dict(self) -> dict[str, Any]:
        return {"events": list(self.events), "coalesce_seconds": self.coalesce_seconds}


# News held back longer than this would no longer be news.
MAX_COALESCE_SECONDS = 3600


@dataclass(frozen=True)
class RuleSet:
    """All refund rules plus the global numbers; what one stored policy version holds."""

    rules: Mapping[Category, Mapping[RefundType, Rule]]
    # The numbers themselves are policy data (portal/policy/defaults.py, then each published version):
    # a rule set without them is refused rather than filled in from a second copy here.
    green_channel_fen: int
    review_working_days: int
    phone_news: PhoneNews
    # After a final decision (third-party arbitration, an answered appeal) no new request of the same type
    # for the same order; after a partial refund only what remains (that is the ledger's, always).
    final_decision_closes_type: bool = True
    # Numbers the source does not give, each with the platform's reason (path in these rules → reason).
    platform_choices: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RuleSet:
        """Parse and validate a stored/edited rules dict; raises ValueError on bad input."""
        if not isinstance(d, Mapping):
            raise ValueError("rules must be an object")
        rules: dict[Category, dict[RefundType, Rule]] = {}
        for cat_key, by_type in (d.get("categories") or {}).items():
            try:
                cat = Category(cat_key)
            except ValueError as exc:
                raise ValueError(f"unknown category {cat_key!r}") from exc
            rules[cat] = {}
            if not isinstance(by_type, Mapping):
                raise ValueError(f"{cat_key} must be an object")
            for type_key, rule in by_type.items():
                try:
                    rtype = RefundType(type_key)
                except ValueError as exc:
                    raise ValueError(f"{cat_key}: unknown refund type {type_key!r}") from exc
                rules[cat][rtype] = Rule.from_dict(rule, f"{cat_key}.{type_key}")
        for key in _RULESET_NUMBERS:
            if key not in d:
                raise ValueError(f"rules must give {key}")
        green = _int(d["green_channel_fen"], "green_channel_fen")
        if green < 0:
            raise ValueError("green_channel_fen must not be negative")
        days = _days(d["review_working_days"], "review_working_days")
        _no_unknown_keys(d, _RULESET_KEYS, "rules")
        final = _bool(d.get("final_decision_closes_type", True), "final_decision_closes_type")
        if not isinstance(d["phone_news"], Mapping):
            raise ValueError("phone_news must be an object")
        phone_news = PhoneNews.from_dict(d["phone_news"])
        choices = d.get("platform_choices") or {}
        if not isinstance(choices, Mapping) or not all(
            isinstance(k, str) and k and isinstance(v, str) and v.strip() for k, v in choices.items()
        ):
            raise ValueError("platform_choices must map a rule path to the reason for its number")
        return cls(
            rules=rules,
            green_channel_fen=green,
            review_working_days=days or 0,
            phone_news=phone_news,
            final_decision_closes_type=final,
            platform_choices=dict(choices),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; `RuleSet.from_dict(rs.to_dict()) == rs`."""
        return {
            "schema": SCHEMA_VERSION,
            "green_channel_fen": self.green_channel_fen,
            "review_working_days": self.review_working_days,
            "final_decision_closes_type": self.final_decision_closes_type,
            "phone_news": self.phone_news.to_dict(),
            "platform_choices": dict(self.platform_choices),
            "categories": {
                c.value: {t.value: r.to_dict() for t, r in by_type.items()}
                for c, by_type in self.rules.items()
            },
        }

    def rule_for(self, category: Category, refund_type: RefundType) -> Rule | None:
        """The rule for this category × type, or None when there is none."""
        return self.rules.get(category, {}).get(refund_type)

    def days_for(self, rule: Rule) -> int:
        """Expected review working days for a rule (its own or the global value)."""
        return self.review_working_days if rule.review_working_days is None else rule.review_working_days


_RULE_KEYS = {
    "allowed",
    "amounts",
    "conditions",
    "auto_approve_statuses",
    "evidence",
    "review_working_days",
    "reason_required",
    "open_on_failure",
}
_RULESET_NUMBERS = ("green_channel_fen", "review_working_days", "phone_news")
_RULESET_KEYS = {
    "phone_news",
    "platform_choices",
    "schema",
    "categories",
    "green_channel_fen",
    "review_working_days",
    "final_decision_closes_type",
}
_CONDITION_KEYS = {"unactivated_days", "trial", "trial_days", "refuse_if_credited", "refuse_while_pending"}


def _no_unknown_keys(d: Mapping[str, Any], known: set[str], where: str) -> None:
    # A misspelt key would otherwise be ignored silently and the editor's change lost.
    if not isinstance(d, Mapping):
        raise ValueError(f"{where} must be an object")
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")


def _int(value: Any, where: str) -> int:
    # bool is an int subclass; `true` for a number is an editor's mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where} must be a whole number, got {value!r}")
    return value


def _days(value: Any, where: str) -> int | None:
    if value is None:
        return None
    days = _int(value, where)
    if days < 0:
        raise ValueError(f"{where} must not be negative, got {days}")
    return days


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be true or false, got {value!r}")
    return value
