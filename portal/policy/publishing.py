"""Which policy version is in force, and seeding it from the defaults."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select

from portal.clock import utcnow
from portal.extensions import db
from portal.policy.defaults import DEFAULT_RULES, DEFAULT_TEXTS, default_ruleset
from portal.policy.models import PolicyVersion
from portal.policy.rules import RuleSet
from portal.policy.texts import PolicyTexts, policy_texts

_IS_PUBLISHED = PolicyVersion.status == "published"
_LATEST_FIRST = (PolicyVersion.published_at.desc(), PolicyVersion.id.desc())
# Statements asked on every page are built once (building one costs about as much as running it).
_PUBLISHED = select(PolicyVersion).where(_IS_PUBLISHED).order_by(*_LATEST_FIRST).limit(1)
_PUBLISHED_ID = select(PolicyVersion.id).where(_IS_PUBLISHED).order_by(*_LATEST_FIRST).limit(1)
_CONTENT = select(PolicyVersion.status, PolicyVersion.rules, PolicyVersion.texts).where(
    PolicyVersion.id == bindparam("version_id")
)


@dataclass(frozen=True, eq=False)
class PublishedPolicy:
    """A published (or since retired) version as pages read it: its id, stored rules and texts, parsed rules.

    A version never changes once published (policyeditor.services: a rollback publishes a copy), so its
    content is loaded and parsed once per app and id; which version is in force is still asked every request.
    Read only: the mappings are shared by every request of the process."""

    id: int
    rules: Mapping[str, Any]
    texts: Mapping[str, Any]
    ruleset: RuleSet


def published_version() -> PolicyVersion | None:
    """The policy customers see now: the latest published version (the row, for staff and the editor)."""
    return db.session.scalar(_PUBLISHED)


def policy_in_force() -> tuple[PublishedPolicy | None, RuleSet]:
    """The published version and its rules; the built-in defaults before anything is published.

    One small query (the id in force); the content comes from the per-process copy of that version."""
    version_id = db.session.scalar(_PUBLISHED_ID)
    policy = published_policy(version_id) if version_id is not None else None
    return policy, (policy.ruleset if policy is not None else default_ruleset())


def published_policy(version_id: int) -> PublishedPolicy | None:
    """A published or retired version's content, loaded once per app and id; None for a draft or no row."""
    policy = _known_policies().get(version_id)
    if policy is None:
        row = db.session.execute(_CONTENT, {"version_id": version_id}).first()
        if row is None or row.status == "draft":
            return None
        policy = _remember(version_id, row.rules, row.texts)
    return policy


def _known_policies() -> dict[int, PublishedPolicy]:
    return current_app.extensions.setdefault("published_policies", {})


def _remember(version_id: int, rules: Mapping[str, Any], texts: Mapping[str, Any] | None) -> PublishedPolicy:
    policy = PublishedPolicy(version_id, rules, texts or {}, RuleSet.from_dict(rules))
    return _known_policies().setdefault(version_id, policy)


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


def ruleset_of(version: PolicyVersion | PublishedPolicy | None) -> RuleSet:
    """The version's rules; the built-in defaults before anything is published.

    A version's rules never change once it is published (a rollback publishes a copy), so they are parsed once
    per app and version; a draft's are parsed every time, as its editor changes them.
    """
    if version is None:
        return default_ruleset()
    if isinstance(version, PublishedPolicy):
        return version.ruleset
    if version.status == "draft" or version.id is None:
        return RuleSet.from_dict(version.rules)
    known = _known_policies().get(version.id)
    return (known or _remember(version.id, version.rules, version.texts)).ruleset


def version_for_case(case: Any) -> PolicyVersion | None:
    """The version in force when the case was opened (a case never changes policy afterwards)."""
    if case.policy_version_id is not None:
        version = db.session.get(PolicyVersion, case.policy_version_id)
        if version is not None:
            return version
    return published_version()


def case_policy(case: Any) -> PublishedPolicy | None:
    """The content of the version in force when the case was opened, as customer pages read it."""
    policy = published_policy(case.policy_version_id) if case.policy_version_id is not None else None
    return policy if policy is not None else policy_in_force()[0]


def texts_for_case(case: Any, lang: str) -> PolicyTexts:
    """The hint and checklist texts of the case's own policy version, in `lang` (sanitised HTML)."""
    return policy_texts(case_policy(case), lang, case.order.category, case.refund_type)


ANY_EVIDENCE_KIND = ("image", "pdf")


def evidence_kinds_for_case(case: Any, item_key: str) -> tuple[str, ...]:
    """The file kinds the case's own policy accepts for a checklist item (any kind for "other")."""
    rule = ruleset_of(case_policy(case)).rules.get(case.order.category, {}).get(case.refund_type)
    for item in rule.evidence if rule is not None else ():
        if item.key == item_key:
            return item.kinds
    return ANY_EVIDENCE_KIND
