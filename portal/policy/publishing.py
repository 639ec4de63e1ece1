"""Which policy version is in force, and seeding it from the defaults."""

from typing import Any

from flask import current_app
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.policy.defaults import DEFAULT_RULES, DEFAULT_TEXTS, default_ruleset
from portal.policy.models import PolicyVersion
from portal.policy.rules import RuleSet
from portal.policy.texts import PolicyTexts, policy_texts

# Statements asked on every page are built once (building one costs about as much as running it).
_PUBLISHED = (
    select(PolicyVersion)
    .where(PolicyVersion.status == "published")
    .order_by(PolicyVersion.published_at.desc(), PolicyVersion.id.desc())
    .limit(1)
)


def published_version() -> PolicyVersion | None:
    """The policy customers see now: the latest published version."""
    return db.session.scalar(_PUBLISHED)


def policy_in_force() -> tuple[PolicyVersion | None, RuleSet]:
    """The published version and its rules; the built-in defaults before anything is published."""
    version = published_version()
    return version, (ruleset_of(version) if version is not None else default_ruleset())


def ensure_published_default() -> PolicyVersion:
    """Publish the built-in defaults when nothing is published yet."""
    version = published_version()
    if version is None:
        version = PolicyVersion(
            status="published",
            rules=DEFAULT_RULES,
            texts=DEFAULT_TEXTS,
            note="built-in defaults",
            published_at=utcnow(),
        )
        db.session.add(version)
        db.session.flush()
    return version


def ruleset_of(version: PolicyVersion | None) -> RuleSet:
    """The version's rules; the built-in defaults before anything is published.

    A version's rules never change once it is published (a rollback publishes a copy), so they are parsed once
    per app and version; a draft's are parsed every time, as its editor changes them.
    """
    if version is None:
        return default_ruleset()
    if version.status == "draft" or version.id is None:
        return RuleSet.from_dict(version.rules)
    parsed = current_app.extensions.setdefault("parsed_policy_rules", {})
    ruleset = parsed.get(version.id)
    if ruleset is None:
        ruleset = parsed[version.id] = RuleSet.from_dict(version.rules)
    return ruleset


def version_for_case(case: Any) -> PolicyVersion | None:
    """The version in force when the case was opened (a case never changes policy afterwards)."""
    if case.policy_version_id is not None:
        version = db.session.get(PolicyVersion, case.policy_version_id)
        if version is not None:
            return version
    return published_version()


def texts_for_case(case: Any, lang: str) -> PolicyTexts:
    """The hint and checklist texts of the case's own policy version, in `lang` (sanitised HTML)."""
    return policy_texts(version_for_case(case), lang, case.order.category, case.refund_type)


ANY_EVIDENCE_KIND = ("image", "pdf")


def evidence_kinds_for_case(case: Any, item_key: str) -> tuple[str, ...]:
    """The file kinds the case's own policy accepts for a checklist item (any kind for "other")."""
    rule = ruleset_of(version_for_case(case)).rules.get(case.order.category, {}).get(case.refund_type)
    for item in rule.evidence if rule is not None else ():
        if item.key == item_key:
            return item.kinds
    return ANY_EVIDENCE_KIND
