"""Field diffs between policy versions."""

from portal.policy.defaults import DEFAULT_RULES, DEFAULT_TEXTS
from portal.policy.models import PolicyVersion
from portal.policyeditor.diffing import Segment, describe_path, diff_versions, flatten


def _version(id_: int, rules=None, texts=None) -> PolicyVersion:
    import copy

    return PolicyVersion(
        id=id_, rules=copy.deepcopy(rules or DEFAULT_RULES), texts=copy.deepcopy(texts or DEFAULT_TEXTS)
    )


def test_identical_versions_have_no_differences(app):
    with app.test_request_context():
        assert diff_versions(_version(1), _version(2)) == []


def test_a_changed_number_and_text_are_reported_per_field(app):
    old, new = _version(1), _version(2)
    new.rules["categories"]["game_item"]["invalid"]["amounts"]["used"]["percent"] = 40
    new.rules["green_channel_fen"] = 80000
    hint = new.texts["en"]["game_card"]["not_received"]["hint"]
    new.texts["en"]["game_card"]["not_received"]["hint"] = hint.replace(
        "shows the failure", "shows the platform failure"
    )
    with app.test_request_context("/?lang=en"):
        changes = {c.path: c for c in diff_versions(old, new)}
        assert set(changes) == {
            ("rules", "green_channel_fen"),
            ("rules", "categories", "game_item", "invalid", "amounts", "used", "percent"),
            ("texts", "en", "game_card", "not_received", "hint"),
        }
        money = changes[("rules", "green_channel_fen")]
        assert (money.before, money.after) == ("¥500.00", "¥800.00")
        text = changes[("texts", "en", "game_card", "not_received", "hint")]
        assert text.is_text and not money.is_text
        replaced = [r for r in text.rows if r.tag == "replace"]
        assert len(replaced) == 1
        assert [s.text.strip() for s in replaced[0].after if s.changed] == ["platform"]
        assert all(not s.changed for s in replaced[0].before)
        assert "-**How long**" in text.unified and "+**How long**" in text.unified
        assert text.label == "Texts › English › Game card › Item not received › Hint"


def test_chinese_lines_are_compared_by_character(app):
    old, new = _version(1), _version(2)
    new.texts["zh_CN"]["game_card"]["invalid"]["checklist"]["card_error_screenshot"] = (
        "兑换点卡时的错误提示截图（含卡号、面额和错误提示）"
    )
    with app.test_request_context():
        (change,) = diff_versions(old, new)
        (row,) = change.rows
        assert Segment("或订单号", True) in row.before
        assert all(seg.text != "或订单号" for seg in row.after)


def test_a_rewritten_line_is_marked_whole(app):
    old, new = _version(1), _version(2)
    new.texts["en"]["software"]["trial_no_reason"]["checklist"] = {}
    new.texts["en"]["software"]["invalid"]["checklist"]["error_screenshot"] = (
        "Completely different words here"
    )
    with app.test_request_context():
        changes = diff_versions(old, new)
        (rewritten,) = [c for c in changes if c.path[-1] == "error_screenshot"]
        assert rewritten.rows[0].before == (Segment(rewritten.before, True),)


def test_removed_and_added_fields_and_evidence_flags(app):
    old, new = _version(1), _version(2)
    del new.texts["en"]["game_card"]["customer_error"]["checklist"]["recovery_record"]
    new.texts["en"].setdefault("_summaries", {})
    new.texts["_summaries"] = {"en": {"game_card": "New summary"}}
    new.rules["categories"]["game_card"]["customer_error"]["evidence"][2]["required"] = True
    with app.test_request_context("/?lang=en"):
        changes = {c.path: c for c in diff_versions(old, new)}
        removed = changes[("texts", "en", "game_card", "customer_error", "checklist", "recovery_record")]
        assert removed.after is None and removed.rows[-1].tag == "delete"
        added = changes[("texts", "_summaries", "en", "game_card")]
        assert added.before is None and added.rows[0].tag == "insert"
        flag = changes[
            ("rules", "categories", "game_card", "customer_error", "evidence", "recovery_record", "required")
        ]
        assert (flag.before, flag.after) == ("no", "yes")
        assert describe_path(flag.path).startswith("Rules › Game card › My own mistake › Evidence")


def test_flatten_covers_every_text(app):
    with app.test_request_context():
        flat = flatten(_version(1))
    assert ("texts", "zh_CN", "software", "trial_no_reason", "hint") in flat
