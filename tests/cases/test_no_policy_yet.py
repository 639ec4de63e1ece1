"""A database that was only migrated (no demo data, nothing published): customers can still apply."""

from sqlalchemy import delete, select

from portal.cases.models import RefundCase
from portal.policy.models import PolicyVersion
from tests.factories import open_case, situation_order


def test_the_first_case_publishes_the_defaults_it_was_judged_by(world, db):
    db.session.execute(delete(PolicyVersion))
    db.session.commit()
    case = open_case(situation_order("game_card_system_fault"))
    db.session.commit()
    version = db.session.get(PolicyVersion, case.policy_version_id)
    assert version.status == "published" and version.note == "built-in defaults"
    assert db.session.scalar(select(RefundCase.id)) == case.id
