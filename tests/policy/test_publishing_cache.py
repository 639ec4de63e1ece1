"""Published rules are parsed once per app and version; a draft's every time."""

import copy

from portal.extensions import db
from portal.policy.defaults import DEFAULT_RULES, DEFAULT_TEXTS
from portal.policy.models import PolicyVersion
from portal.policy.publishing import ruleset_of


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
