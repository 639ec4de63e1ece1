"""Send limits for sign-in codes, per phone and per IP, on Flask-Limiter's storage."""

from limits import parse_many

from portal.extensions import limiter


def allow(limit_spec: str, scope: str, key: str) -> bool:
    """Count one hit against every limit in the spec; False when any is already spent."""
    limits = parse_many(limit_spec)
    strategy = limiter.limiter
    if not all(strategy.test(item, scope, key) for item in limits):
        return False
    for item in limits:
        strategy.hit(item, scope, key)
    return True
