"""throttle: limits counted in Redis, shared by every process; in memory while Redis does not answer."""

import pytest

from portal.accounts import throttle

SPEC = "2 per minute"


def test_processes_share_the_counts_in_redis(redis_url):
    one, other = throttle.Counts(redis_url), throttle.Counts(redis_url)  # two web processes
    item = throttle.parse_many(SPEC)[0]
    assert one.ask(lambda counts: counts.hit(item, "test", "k"))
    assert other.ask(lambda counts: counts.hit(item, "test", "k"))
    assert not one.ask(lambda counts: counts.test(item, "test", "k"))


@pytest.mark.config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
def test_redis_down_still_limits_in_memory(app, caplog):
    with app.app_context():
        assert throttle.allow(SPEC, "test", "k") and throttle.allow(SPEC, "test", "k")
        assert not throttle.allow(SPEC, "test", "k")
        assert throttle.spent(SPEC, "test", "k") and throttle.wait_minutes(SPEC, "test", "k") == 1
        assert not throttle.spent(SPEC, "test", "other key")
    assert caplog.text.count("limits counted in memory") == 1  # Redis is not asked again at once


@pytest.mark.config(RATELIMIT_STORAGE_URI="memory://")
def test_no_limit_runs_on_a_page_that_does_not_ask(app):
    names = [getattr(hook, "__module__", "") for hook in app.before_request_funcs[None]]
    assert not any("limit" in name for name in names)
