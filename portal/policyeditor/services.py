"""Policy editing: drafts copied from the published version, edits, publishing, history and rollback.

A published or retired version is never changed again (only its status moves to "retired"); a rollback
publishes a fresh copy of an older version, so the history reads like a ledger.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, Usage
from portal.policy.defaults import DEFAULT_TEXTS
from portal.policy.engine import Assessment, OrderFacts, assess
from portal.policy.kinds import AmountMethod, RefundType
from portal.policy.models import PolicyVersion
from portal.policy.publishing import ensure_published_default, published_version
from portal.policy.rules import RuleSet
from portal.policy.texts import SUMMARIES_KEY, category_summary, policy_texts

LANGS = ("zh_CN", "en")
DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
PREVIEW_AMOUNT_FEN = 10000  # the sample order in the preview: ¥100.00
PREVIEW_TRIAL_LEFT = timedelta(days=3)  # the sample order's trial still runs this long (a sample, no rule)


class PolicyEditError(Exception):
    """A policy action that cannot be done; `code` names why (labels.error_message says it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Slot:
    """One category × refund type: the unit an editor edits."""

    category: Category
    refund_type: RefundType


@dataclass(frozen=True)
class SlotTexts:
    """The raw (Markdown) texts of one slot in one language."""

    hint: str
    checklist: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AmountChoice:
    """How one usage state is refunded; method "" means the rule does not admit that usage."""

    method: str
    percent: int | None = None


@dataclass(frozen=True)
class SlotNumbers:
    """The numbers and switches of one rule an editor may change."""

    allowed: bool
    amounts: Mapping[Usage, AmountChoice]
    review_working_days: int | None = None
    unactivated_days: int | None = None  # only for rules that have this condition
    trial_days: int | None = None  # only for trial rules
    required: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class GlobalNumbers:
    """Numbers that apply to every rule."""

    green_channel_fen: int
    review_working_days: int
    # Shown, not edited here: what a final decision means for the next request, and the platform's choices.
    final_decision_closes_type: bool = True
    platform_choices: Mapping[str, str] = field(default_factory=dict)
    # Which events reach the phone (SMS or push), and how long a case's message waits to be coalesced.
    phone_events: tuple[str, ...] = ()
    coalesce_seconds: int = 0


# ---------------------------------------------------------------- versions


def get_version(version_id: int) -> PolicyVersion | None:
    """A version by id, or None."""
    return db.session.get(PolicyVersion, version_id)


def open_draft() -> PolicyVersion | None:
    """The draft being worked on (the newest one), if any."""
    return db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.status == DRAFT).order_by(PolicyVersion.id.desc()).limit(1)
    )


def start_draft(staff_id: int) -> PolicyVersion:
    """The open draft, or a new one copied from the published version; editors share one draft."""
    draft = open_draft()
    if draft is not None:
        return draft
    base = ensure_published_default()
    draft = PolicyVersion(
        status=DRAFT,
        rules=copy.deepcopy(base.rules),
        texts=copy.deepcopy(base.texts),
        note="",
        based_on_id=base.id,
        created_by_id=staff_id,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def discard_draft(draft: PolicyVersion) -> None:
    """Throw a draft away (nothing refers to drafts; published history is untouched)."""
    _require_draft(draft)
    db.session.delete(draft)
    db.session.flush()


def history() -> list[PolicyVersion]:
    """Every version that was ever published, newest first."""
    return list(
        db.session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.status != DRAFT)
            .order_by(PolicyVersion.published_at.desc(), PolicyVersion.id.desc())
        )
    )


def publish(draft: PolicyVersion, staff_id: int, note: str = "") -> PolicyVersion:
    """Make a draft the version customers see; the one before it is retired. Caller commits."""
    # Lock the draft and the published row so that two editors publishing at once cannot both win.
    locked = db.session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.id == draft.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    _require_draft(locked)
    RuleSet.from_dict(locked.rules)  # a stored draft was validated on save; this guards hand edits
    current = db.session.scalars(
        select(PolicyVersion).where(PolicyVersion.status == PUBLISHED).with_for_update()
    ).all()
    for version in current:
        version.status = RETIRED
    locked.status = PUBLISHED
    locked.published_by_id = staff_id
    locked.published_at = utcnow()
    if note.strip():
        locked.note = note.strip()
    db.session.flush()
    return locked


def rollback(target: PolicyVersion, staff_id: int) -> PolicyVersion:
    """Publish a new copy of an older version (history is never edited). Caller commits."""
    if target.status == DRAFT:
        raise PolicyEditError("not_published_before")
    if target.status == PUBLISHED:
        raise PolicyEditError("already_current")
    copy_of = PolicyVersion(
        status=DRAFT,
        rules=copy.deepcopy(target.rules),
        texts=copy.deepcopy(target.texts),
        note=f"Rollback to version {target.id}",
        based_on_id=target.id,
        created_by_id=staff_id,
    )
    db.session.add(copy_of)
    db.session.flush()
    return publish(copy_of, staff_id)


def compare_base(version: PolicyVersion) -> PolicyVersion | None:
    """What a version is compared with: a draft with what customers see now, others with their predecessor."""
    if version.status == DRAFT:
        return published_version()
    if version.published_at is None:
        return None
    earlier = (PolicyVersion.published_at < version.published_at) | (
        (PolicyVersion.published_at == version.published_at) & (PolicyVersion.id < version.id)
    )
    return db.session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.status != DRAFT, earlier)
        .order_by(PolicyVersion.published_at.desc(), PolicyVersion.id.desc())
        .limit(1)
    )


def content_digest(version: PolicyVersion) -> str:
    """A short fingerprint of a version's content (changes whenever a preview must reload)."""
    raw = json.dumps([version.rules, version.texts], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _require_draft(version: PolicyVersion | None) -> None:
    if version is None or version.status != DRAFT:
        raise PolicyEditError("not_a_draft")


# ---------------------------------------------------------------- slots


def slots(version: PolicyVersion) -> list[Slot]:
    """Every category × refund type the version has a rule for, in vocabulary order."""
    categories = (version.rules or {}).get("categories") or {}
    return [
        Slot(category, refund_type)
        for category in Category
        for refund_type in RefundType
        if refund_type.value in (categories.get(category.value) or {})
    ]


def find_slot(version: PolicyVersion, category: str, refund_type: str) -> Slot | None:
    """The slot named in a URL, or None when the version has no such rule."""
    return next(
        (s for s in slots(version) if s.category.value == category and s.refund_type.value == refund_type),
        None,
    )


def slot_texts(version: PolicyVersion, lang: str, slot: Slot) -> SlotTexts:
    """The Markdown an editor starts from: the stored text, else the default the customer would see."""
    stored = _node(version.texts, lang, slot.category.value, slot.refund_type.value)
    hint = stored.get("hint")
    if not isinstance(hint, str) or not hint.strip():
        hint = ""
    shown = policy_texts(version, lang, slot.category.value, slot.refund_type.value)
    checklist = {key: str(shown.checklist.get(key, "")) for key in evidence_keys(version, slot)}
    if not hint:
        hint = _default_hint(lang, slot)
    return SlotTexts(hint=hint, checklist=checklist)


def slot_numbers(version: PolicyVersion, slot: Slot) -> SlotNumbers:
    """The editable numbers of one rule, read from the stored rules."""
    rule = _rule(version.rules, slot)
    amounts = {
        usage: AmountChoice(spec.get("method", ""), spec.get("percent"))
        for usage in Usage
        if isinstance(spec := (rule.get("amounts") or {}).get(usage.value), Mapping)
    }
    cond = rule.get("conditions") or {}
    return SlotNumbers(
        allowed=bool(rule.get("allowed", True)),
        amounts=amounts,
        review_working_days=rule.get("review_working_days"),
        unactivated_days=cond.get("unactivated_days"),
        trial_days=cond.get("trial_days"),
        required={e["key"]: bool(e.get("required", True)) for e in rule.get("evidence", ())},
    )


def evidence_keys(version: PolicyVersion, slot: Slot) -> list[str]:
    """The checklist item keys of a rule, in order."""
    return [e["key"] for e in _rule(version.rules, slot).get("evidence", ()) if isinstance(e, Mapping)]


def has_trial(version: PolicyVersion, slot: Slot) -> bool:
    """True when the rule applies only within a trial period."""
    return bool((_rule(version.rules, slot).get("conditions") or {}).get("trial"))


def save_slot(draft: PolicyVersion, slot: Slot, texts: Mapping[str, SlotTexts], numbers: SlotNumbers) -> None:
    """Store one slot's texts (per language) and numbers; ValueError (rules) leaves the draft unchanged."""
    _require_draft(draft)
    rules = copy.deepcopy(draft.rules)
    rules["categories"][slot.category.value][slot.refund_type.value] = _apply_numbers(
        _rule(draft.rules, slot), numbers, slot
    )
    RuleSet.from_dict(rules)
    new_texts = copy.deepcopy(draft.texts or {})
    for lang, edited in texts.items():
        by_cat = new_texts.setdefault(lang, {}).setdefault(slot.category.value, {})
        entry = dict(by_cat.get(slot.refund_type.value) or {})
        entry["hint"] = edited.hint
        entry["checklist"] = {**(entry.get("checklist") or {}), **dict(edited.checklist)}
        by_cat[slot.refund_type.value] = entry
    # New objects, so the JSON columns are seen as changed.
    draft.rules, draft.texts = rules, new_texts
    db.session.flush()


def _apply_numbers(rule: Mapping[str, Any], numbers: SlotNumbers, slot: Slot) -> dict[str, Any]:
    out = copy.deepcopy(dict(rule))
    out["allowed"] = numbers.allowed
    amounts: dict[str, Any] = {}
    for usage in Usage:
        choice = numbers.amounts.get(usage)
        if choice is None or not choice.method:
            continue
        spec: dict[str, Any] = {"method": choice.method}
        if choice.method in (AmountMethod.PERCENT, AmountMethod.STAFF_DECIDES):
            if choice.percent is None:
                raise ValueError(f"{slot.category}.{slot.refund_type}.amounts.{usage}: enter a percentage")
            spec["percent"] = choice.percent
        before = (rule.get("amounts") or {}).get(usage.value)
        if isinstance(before, Mapping) and before.get("condition"):
            spec["condition"] = before["condition"]  # the form edits method and percent only
        amounts[usage.value] = spec
    out["amounts"] = amounts
    if numbers.review_working_days is None:
        out.pop("review_working_days", None)
    else:
        out["review_working_days"] = numbers.review_working_days
    cond = dict(out.get("conditions") or {})
    # Only numbers of conditions the rule already has: dropping one would change what the rule means.
    for key, value in (("unactivated_days", numbers.unactivated_days), ("trial_days", numbers.trial_days)):
        if key in cond or (key == "trial_days" and cond.get("trial")):
            if value is None and key == "unactivated_days":
                raise ValueError(
                    f"{slot.category}.{slot.refund_type}.conditions.{key}: enter a number of days"
                )
            if value is None:
                cond.pop(key, None)
            else:
                cond[key] = value
    out["conditions"] = cond
    out["evidence"] = [
        {**item, "required": bool(numbers.required.get(item["key"], item.get("required", True)))}
        for item in out.get("evidence", ())
    ]
    return out


# ---------------------------------------------------------------- general numbers and summaries


def global_numbers(version: PolicyVersion) -> GlobalNumbers:
    """The green-channel amount and the default review days of a version."""
    rules = version.rules or {}
    return GlobalNumbers(
        green_channel_fen=rules["green_channel_fen"],
        review_working_days=rules["review_working_days"],
        final_decision_closes_type=rules.get("final_decision_closes_type", True),
        platform_choices=rules.get("platform_choices") or {},
        phone_events=tuple((rules.get("phone_news") or {}).get("events") or ()),
        coalesce_seconds=(rules.get("phone_news") or {}).get("coalesce_seconds") or 0,
    )


def summaries(version: PolicyVersion, lang: str) -> dict[str, str]:
    """The one-line rule per category shown on product and order pages, as stored or by default."""
    return {c.value: category_summary(version, lang, c.value) for c in Category}


def save_general(
    draft: PolicyVersion, numbers: GlobalNumbers, category_summaries: Mapping[str, Mapping[str, str]]
) -> None:
    """Store the global numbers and category summaries; ValueError (rules) leaves the draft unchanged."""
    _require_draft(draft)
    rules = copy.deepcopy(draft.rules)
    rules["green_channel_fen"] = numbers.green_channel_fen
    rules["review_working_days"] = numbers.review_working_days
    rules["phone_news"] = {"events": list(numbers.phone_events), "coalesce_seconds": numbers.coalesce_seconds}
    RuleSet.from_dict(rules)
    texts = copy.deepcopy(draft.texts or {})
    stored = texts.setdefault(SUMMARIES_KEY, {})
    for lang, by_category in category_summaries.items():
        stored[lang] = {**(stored.get(lang) or {}), **dict(by_category)}
    draft.rules, draft.texts = rules, texts
    db.session.flush()


# ---------------------------------------------------------------- preview


def sample_assessment(version: PolicyVersion, slot: Slot, now: datetime | None = None) -> Assessment:
    """What a typical customer would be told for this slot under this version (a ¥100, unused order)."""
    now = now or utcnow()
    rules = RuleSet.from_dict(version.rules)
    rule = rules.rule_for(slot.category, slot.refund_type)
    usage = Usage.UNUSED
    if rule is not None and rule.amounts and usage not in rule.amounts:
        usage = next(iter(rule.amounts))
    paid_at = now - timedelta(days=1)
    if rule is not None and rule.unactivated_days is not None:
        paid_at = now - timedelta(days=rule.unactivated_days + 1)
    trial_end = None
    if rule is not None and rule.trial and rule.trial_days is None:
        trial_end = now + PREVIEW_TRIAL_LEFT
    facts = OrderFacts(
        category=slot.category,
        amount_fen=PREVIEW_AMOUNT_FEN,
        refunded_fen=0,
        paid_at=paid_at,
        fulfilment=Fulfilment.COMPLETED,
        usage=usage,
        delivery_status=DeliveryStatus.DELIVERED,
        trial_ends_at=trial_end,
    )
    return assess(facts, slot.refund_type, rules, now)


# ---------------------------------------------------------------- helpers


def _rule(rules: Mapping[str, Any] | None, slot: Slot) -> Mapping[str, Any]:
    return _node(rules, "categories", slot.category.value, slot.refund_type.value)


def _node(data: Any, *keys: str) -> Mapping[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data if isinstance(data, Mapping) else {}


def _default_hint(lang: str, slot: Slot) -> str:
    hint = _node(DEFAULT_TEXTS, lang, slot.category.value, slot.refund_type.value).get("hint")
    return hint if isinstance(hint, str) else ""
