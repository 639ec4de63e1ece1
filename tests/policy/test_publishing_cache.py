"""Published versions are read and parsed once per app and version; a draft's every time."""

import copy

from portal.clock import utcnow
from portal.extensions import db
from portal.policy.defaults import DEFAULT_RULES, DEFAULT_TEXTS
from portal.policy.models import PolicyVersion
from portal.policy.publishing import policy_in_force, published_policy, ruleset_of


def _version(status: str, green_fen: int) -> PolicyVersion:
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["green_channel_fen"] = green_fen
    version = PolicyVersion(status=status, rules=rules, texts=DEFAULT_TEXTS, note="test")
    db.session.add(version)
    db.session.flush()
    return version


def test_a_published_version_is_parsed_once(db):
    version = _version("published", 50000)
    assert ruleset_of(version) is ruleset_of(version)
    assert ruleset_of(version).green_channel_fen == 50000


def test_a_draft_is_parsed_every_time(db):
    draft = _version("draft", 50000)
    assert ruleset_of(draft).green_channel_fen == 50000
    rules = copy.deepcopy(draft.rules)
    rules["green_channel_fen"] = 80000
    draft.rules = rules
    assert ruleset_of(draft).green_channel_fen == 80000
    assert ruleset_of(draft) is not ruleset_of(draft)


def test_the_policy_in_force_is_read_once_per_version_and_follows_publishing(db):
    first = _version("published", 50000)
    first.published_at = utcnow()
    db.session.commit()
    policy, rules = policy_in_force()
    assert policy.id == first.id and rules.green_channel_fen == 50000
    assert policy_in_force()[0] is policy and ruleset_of(first) is rules  # one copy per app and version
    second = _version("published", 80000)
    second.published_at = utcnow()
    first.status = "retired"
    db.session.commit()
    assert policy_in_force()[0].id == second.id and policy_in_force()[1].green_channel_fen == 80000
    assert published_policy(first.id) is policy  # a case opened under the first keeps reading it


def test_a_draft_is_never_kept(db):
    draft = _version("draft", 50000)
    db.session.commit()
    assert published_policy(draft.id) is None
