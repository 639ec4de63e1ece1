"""The worker sends each outbox row through the registry of channels; jobs are named from their functions."""

import pytest

from portal import outbox
from portal.notifications import channels
from portal.payouts.jobs import execute_payout
from portal.queueing import job_name


def test_every_kind_of_outbox_row_has_a_channel():
    assert set(channels.CHANNELS) == {"sms", "push", "job"}
    for name, channel in channels.CHANNELS.items():
        assert channels.channel_for(name) is channel and callable(channel.send)


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel fax"):
        channels.channel_for("fax")


def test_a_job_is_stored_under_the_name_of_its_function(db):
    item = outbox.add_job(execute_payout, 7)
    assert (item.channel, item.template, item.params) == (
        "job",
        "portal.payouts.jobs.execute_payout",
        {"args": [7]},
    )
    db.session.rollback()


def test_only_module_level_functions_can_be_jobs():
    def nested(item_id: int) -> None: ...

    with pytest.raises(ValueError, match="module-level"):
        job_name(nested)


def test_the_job_channel_runs_only_our_own_functions():
    row = outbox.OutboxItem(channel="job", template="os.system", params={"args": ["true"]})
    with pytest.raises(ValueError, match="refusing job path"):
        channels.channel_for("job").send(row)
