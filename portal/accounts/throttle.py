"""Limits on Flask-Limiter's storage: code sends per phone and IP, failed staff sign-ins per name and IP."""

import math
import time

from limits import parse_many

from portal.extensions import limiter


def allow(limit_spec: str, scope: str, key: str) -> bool:
    """Count one hit against every limit in the spec; False when any is already spent."""
    if spent(limit_spec, scope, key):
        return False
    count(limit_spec, scope, key)
    return True


def spent(limit_spec: str, scope: str, key: str) -> bool:
    """Whether any limit in the spec has no hit left (nothing is counted)."""
    strategy = limiter.limiter
    return not all(strategy.test(item, scope, key) for item in parse_many(limit_spec))


def count(limit_spec: str, scope: str, key: str) -> None:
    """Count one hit against every limit in the spec."""
    for item in parse_many(limit_spec):
        limiter.limiter.hit(item, scope, key)


def wait_minutes(limit_spec: str, scope: str, key: str) -> int:
    """Whole minutes until every spent limit has a hit again (at least 1)."""
    strategy = limiter.limiter
    now = time.time()
    waits = [
        stats.reset_time - now
        for item in parse_many(limit_spec)
        if (stats := strategy.get_window_stats(item, scope, key)).remaining <= 0
    ]
    return max(1, math.ceil(max(waits, default=0) / 60))
