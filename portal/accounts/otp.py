"""One-time sign-in codes: single use, short-lived, a few attempts."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.accounts.models import OtpChallenge
from portal.extensions import db


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    error: str | None = None  # no_code, expired, wrong, too_many_attempts


def _digest(secret: str, phone: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def issue_code(phone: str, secret: str, now: datetime, ttl_seconds: int) -> str:
    """Create a fresh code for the phone; earlier unused codes stop working."""
    for old in db.session.scalars(
        select(OtpChallenge).where(OtpChallenge.phone == phone, OtpChallenge.used_at.is_(None))
    ):
        old.used_at = now
    code = f"{secrets.randbelow(1_000_000):06d}"
    db.session.add(
        OtpChallenge(
            phone=phone,
            code_hash=_digest(secret, phone, code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    return code


def check_code(phone: str, code: str, secret: str, now: datetime, max_attempts: int) -> CheckResult:
    """Spend one attempt on the phone's latest code; a right code is used up."""
    challenge = db.session.scalar(
        select(OtpChallenge)
        .where(OtpChallenge.phone == phone)
        .order_by(OtpChallenge.id.desc())
        .limit(1)
        .with_for_update()
    )
    if challenge is None or challenge.used_at is not None and challenge.attempts < max_attempts:
        return CheckResult(False, "no_code")
    if challenge.attempts >= max_attempts:
        return CheckResult(False, "too_many_attempts")
    if challenge.expires_at < now:
        return CheckResult(False, "expired")
    challenge.attempts += 1
    if not hmac.compare_digest(challenge.code_hash, _digest(secret, phone, code.strip())):
        if challenge.attempts >= max_attempts:
            challenge.used_at = now
            return CheckResult(False, "too_many_attempts")
        return CheckResult(False, "wrong")
    challenge.used_at = now
    return CheckResult(True)
