"""Which policy version is in force, and seeding it from the defaults."""

from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.policy.defaults import DEFAULT_RULES, DEFAULT_TEXTS
from portal.policy.models import PolicyVersion
from portal.policy.rules import RuleSet


def published_version() -> PolicyVersion | None:
    """The policy customers see now: the latest published version."""
    return db.session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.status == "published")
        .order_by(PolicyVersion.published_at.desc(), PolicyVersion.id.desc())
        .limit(1)
    )


def ensure_published_default() -> PolicyVersion:
    """Publish SPEC.md's defaults when nothing is published yet."""
    version = published_version()
    if version is None:
        version = PolicyVersion(
            status="published",
            rules=DEFAULT_RULES,
            texts=DEFAULT_TEXTS,
            note="SPEC.md defaults",
            published_at=utcnow(),
        )
        db.session.add(version)
        db.session.flush()
    return version


def ruleset_of(version: PolicyVersion) -> RuleSet:
    return RuleSet.from_dict(version.rules)
