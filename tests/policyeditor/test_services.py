"""Policy editing services: drafts, slot edits, publish, history, rollback, a case's own version."""

import threading

import pytest
from sqlalchemy import select

from portal.extensions import db as _db
from portal.orders.kinds import Category, Usage
from portal.policy.defaults import DEFAULT_RULES
from portal.policy.kinds import RefundType
from portal.policy.models import PolicyVersion
from portal.policy.publishing import ensure_published_default, published_version, texts_for_case
from portal.policyeditor import services
from portal.policyeditor.services import (
    AmountChoice,
    GlobalNumbers,
    PolicyEditError,
    Slot,
    SlotNumbers,
    SlotTexts,
)
from tests.conftest import POSTGRES_URL

GAME_CARD = Slot(Category.GAME_CARD, RefundType.NOT_RECEIVED)


@pytest.fixture
def published(db):
    version = ensure_published_default()
    db.session.commit()
    return version


def _edit_hint(draft, zh: str, en: str = "English hint") -> None:
    numbers = services.slot_numbers(draft, GAME_CARD)
    texts = {
        "zh_CN": SlotTexts(zh, services.slot_texts(draft, "zh_CN", GAME_CARD).checklist),
        "en": SlotTexts(en, services.slot_texts(draft, "en", GAME_CARD).checklist),
    }
    services.save_slot(draft, GAME_CARD, texts, numbers)


def test_a_draft_is_a_copy_of_the_published_version_and_is_shared(db, published):
    draft = services.start_draft(staff_id=None)
    db.session.commit()
    assert draft.status == "draft" and draft.based_on_id == published.id
    assert draft.rules == published.rules and draft.texts == published.texts
    assert services.start_draft(staff_id=None).id == draft.id


def test_starting_a_draft_with_nothing_published_publishes_the_defaults_first(db):
    draft = services.start_draft(staff_id=None)
    assert published_version() is not None
    assert draft.based_on_id == published_version().id


def test_editing_a_slot_changes_only_the_draft(db, published):
    draft = services.start_draft(None)
    _edit_hint(draft, "**新的提示**")
    db.session.commit()
    assert services.slot_texts(draft, "zh_CN", GAME_CARD).hint == "**新的提示**"
    assert services.slot_texts(published, "zh_CN", GAME_CARD).hint != "**新的提示**"
    assert published_version().id == published.id


def test_rule_numbers_are_validated_by_the_ruleset_and_a_bad_edit_changes_nothing(db, published):
    draft = services.start_draft(None)
    before = (draft.rules, draft.texts)
    slot = Slot(Category.GAME_ITEM, RefundType.INVALID)
    numbers = services.slot_numbers(draft, slot)
    bad = SlotNumbers(
        allowed=True,
        amounts={**numbers.amounts, Usage.USED: AmountChoice("percent", 150)},
        required=numbers.required,
    )
    texts = {lang: SlotTexts("changed") for lang in services.LANGS}
    with pytest.raises(ValueError, match="percent must be within 0..100"):
        services.save_slot(draft, slot, texts, bad)
    assert (draft.rules, draft.texts) == before


def test_numbers_round_trip_into_the_stored_rule(db, published):
    draft = services.start_draft(None)
    slot = Slot(Category.GAME_ITEM, RefundType.INVALID)
    numbers = services.slot_numbers(draft, slot)
    assert numbers.amounts[Usage.USED] == AmountChoice("percent", 30)
    edited = SlotNumbers(
        allowed=True,
        amounts={**numbers.amounts, Usage.USED: AmountChoice("percent", 40)},
        review_working_days=2,
        required={**numbers.required, "usage_record": True},
    )
    texts = {lang: services.slot_texts(draft, lang, slot) for lang in services.LANGS}
    services.save_slot(draft, slot, texts, edited)
    rule = draft.rules["categories"]["game_item"]["invalid"]
    # The form edits method and percent; the condition (only with a defect) stays as it was.
    assert rule["amounts"]["used"] == {"method": "percent", "percent": 40, "condition": "functional_defect"}
    assert rule["review_working_days"] == 2
    assert {e["key"]: e["required"] for e in rule["evidence"]}["usage_record"] is True


def test_a_fixed_share_needs_a_percentage(db, published):
    draft = services.start_draft(None)
    slot = Slot(Category.GAME_ITEM, RefundType.INVALID)
    numbers = services.slot_numbers(draft, slot)
    edited = SlotNumbers(True, {Usage.UNUSED: AmountChoice("percent", None)}, required=numbers.required)
    with pytest.raises(ValueError, match="percentage"):
        services.save_slot(draft, slot, {}, edited)


def test_software_days_and_trial_days_are_editable(db, published):
    draft = services.start_draft(None)
    unactivated = Slot(Category.SOFTWARE, RefundType.SOFTWARE_UNACTIVATED)
    n = services.slot_numbers(draft, unactivated)
    services.save_slot(
        draft, unactivated, {}, SlotNumbers(True, n.amounts, unactivated_days=10, required=n.required)
    )
    trial = Slot(Category.SOFTWARE, RefundType.TRIAL_NO_REASON)
    n = services.slot_numbers(draft, trial)
    services.save_slot(draft, trial, {}, SlotNumbers(True, n.amounts, trial_days=14, required=n.required))
    software = draft.rules["categories"]["software"]
    assert software["software_unactivated"]["conditions"] == {"unactivated_days": 10}
    assert software["trial_no_reason"]["conditions"] == {"trial": True, "trial_days": 14}


def test_general_numbers_are_stored_in_fen_and_summaries_per_language(db, published):
    draft = services.start_draft(None)
    services.save_general(draft, GlobalNumbers(80000, 2), {"en": {"game_card": "New summary"}})
    assert draft.rules["green_channel_fen"] == 80000 and draft.rules["review_working_days"] == 2
    assert services.summaries(draft, "en")["game_card"] == "New summary"
    assert services.summaries(draft, "en")["software"]  # the others keep their default
    with pytest.raises(ValueError, match="green_channel_fen"):
        services.save_general(draft, GlobalNumbers(-1, 2), {})


def test_publish_retires_the_previous_version_and_records_who_and_when(db, published):
    draft = services.start_draft(None)
    _edit_hint(draft, "新提示")
    services.publish(draft, None, "game card hint")
    db.session.commit()
    assert published_version().id == draft.id
    assert draft.published_at is not None and draft.note == "game card hint"
    assert db.session.get(PolicyVersion, published.id).status == "retired"
    statuses = db.session.scalars(select(PolicyVersion.status)).all()
    assert statuses.count("published") == 1
    with pytest.raises(PolicyEditError) as err:
        services.publish(draft, None)
    assert err.value.code == "not_a_draft"


def test_edits_to_a_published_version_are_refused(db, published):
    with pytest.raises(PolicyEditError):
        _edit_hint(published, "x")
    with pytest.raises(PolicyEditError):
        services.discard_draft(published)


def test_rollback_publishes_a_copy_and_never_edits_history(db, published):
    original_hint = services.slot_texts(published, "zh_CN", GAME_CARD).hint
    draft = services.start_draft(None)
    _edit_hint(draft, "新提示")
    services.publish(draft, None)
    db.session.commit()
    restored = services.rollback(db.session.get(PolicyVersion, published.id), None)
    db.session.commit()
    assert restored.id not in (published.id, draft.id)
    assert published_version().id == restored.id and restored.based_on_id == published.id
    assert services.slot_texts(restored, "zh_CN", GAME_CARD).hint == original_hint
    assert db.session.get(PolicyVersion, published.id).status == "retired"
    assert services.slot_texts(draft, "zh_CN", GAME_CARD).hint == "新提示"
    assert [v.id for v in services.history()] == [restored.id, draft.id, published.id]
    with pytest.raises(PolicyEditError):
        services.rollback(restored, None)


def test_compare_base(db, published):
    draft = services.start_draft(None)
    assert services.compare_base(draft).id == published.id
    services.publish(draft, None)
    assert services.compare_base(draft).id == published.id
    assert services.compare_base(published) is None


def test_discarding_the_draft(db, published):
    draft = services.start_draft(None)
    services.discard_draft(draft)
    assert services.open_draft() is None


@pytest.mark.parametrize("slot", services.slots(PolicyVersion(rules=DEFAULT_RULES)))
def test_the_preview_sample_order_can_use_every_default_rule(db, published, slot):
    assessment = services.sample_assessment(published, slot)
    assert assessment.eligible, assessment.reason_code
    assert assessment.suggested_fen > 0


def test_the_digest_changes_with_the_content(db, published):
    draft = services.start_draft(None)
    before = services.content_digest(draft)
    _edit_hint(draft, "新提示")
    assert services.content_digest(draft) != before


def test_a_case_keeps_the_text_of_its_own_version(db, published):
    from types import SimpleNamespace

    case = SimpleNamespace(
        policy_version_id=published.id,
        order=SimpleNamespace(category=Category.GAME_CARD),
        refund_type=RefundType.NOT_RECEIVED,
    )
    old_html = texts_for_case(case, "zh_CN").hint_html
    draft = services.start_draft(None)
    _edit_hint(draft, "全新的提示")
    services.publish(draft, None)
    _db.session.commit()
    assert texts_for_case(case, "zh_CN").hint_html == old_html
    case.policy_version_id = draft.id
    assert "全新的提示" in texts_for_case(case, "zh_CN").hint_html


@pytest.mark.skipif(not POSTGRES_URL, reason="row locks are a PostgreSQL matter")
def test_two_editors_publishing_the_same_draft_at_once_one_wins(app, db, published):
    draft_id = services.start_draft(None).id
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def publish_once() -> None:
        with app.app_context():
            draft = _db.session.get(PolicyVersion, draft_id)
            barrier.wait()
            try:
                services.publish(draft, None)
                _db.session.commit()
                results.append("published")
            except PolicyEditError as exc:
                _db.session.rollback()
                results.append(exc.code)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=publish_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["not_a_draft", "published"]
    statuses = _db.session.scalars(select(PolicyVersion.status)).all()
    assert sorted(statuses) == ["published", "retired"]
