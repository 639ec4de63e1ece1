"""Sign-in: one-time codes, APP hand-off, staff passwords, and server-side sessions."""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from blinker import signal
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from portal import outbox
from portal.accounts import handoff, otp, throttle
from portal.accounts.models import Customer, HandoffTokenUse, LoginSession, StaffUser
from portal.accounts.phones import InvalidPhone, normalise_phone
from portal.clock import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)
# Sent with who="customer" (a wrong or spent code) or who="staff" (a wrong password); operations count them.
sign_in_refused = signal("refund.sign-in-refused")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    phone: str | None = None
    wait_minutes: int | None = None  # for the "too many" errors: how long until it may work again


def send_sign_in_code(raw_phone: str, ip: str, locale: str, settings: dict) -> Outcome:
    """Validate the phone, apply the send limits, and queue the code by SMS."""
    try:
        phone = normalise_phone(raw_phone)
    except InvalidPhone:
        return Outcome(False, "invalid_phone")
    if not throttle.allow(settings["OTP_SEND_LIMIT_IP"], "otp-ip", ip):
        return Outcome(False, "too_many_sends_ip", phone)
    if not throttle.allow(settings["OTP_SEND_LIMIT_PHONE"], "otp-phone", phone):
        wait = throttle.wait_minutes(settings["OTP_SEND_LIMIT_PHONE"], "otp-phone", phone)
        return Outcome(False, "too_many_sends_phone", phone, wait_minutes=wait)
    code = otp.issue_code(phone, settings["SECRET_KEY"], utcnow(), settings["OTP_TTL_SECONDS"])
    customer = db.session.scalar(select(Customer).where(Customer.phone == phone))
    outbox.add_sms(
        phone,
        "sign_in_code",
        {"code": code},
        customer.locale if customer else locale,
        customer_id=customer.id if customer else None,
    )
    db.session.commit()
    return Outcome(True, phone=phone)


def verify_sign_in_code(
    raw_phone: str, code: str, locale: str, settings: dict
) -> tuple[Outcome, Customer | None]:
    """Check the code; on success the customer (created on first sign-in) is returned."""
    try:
        phone = normalise_phone(raw_phone)
    except InvalidPhone:
        return Outcome(False, "invalid_phone"), None
    result = otp.check_code(phone, code, settings["SECRET_KEY"], utcnow(), settings["OTP_MAX_ATTEMPTS"])
    if not result.ok:
        db.session.commit()  # the spent attempt counts
        sign_in_refused.send("customer", reason=result.error)
        return Outcome(False, result.error, phone), None
    customer = find_or_create_customer(phone, locale)
    db.session.commit()
    return Outcome(True, phone=phone), customer


def find_or_create_customer(phone: str, locale: str) -> Customer:
    customer = db.session.scalar(select(Customer).where(Customer.phone == phone))
    if customer is None:
        customer = Customer(phone=phone, locale=locale)
        db.session.add(customer)
        db.session.flush()
    return customer


def exchange_handoff_token(token: str, settings: dict) -> tuple[Customer, handoff.Handoff]:
    """Verify an APP token once; raises handoff.HandoffError."""
    now = int(time.time())
    data = handoff.read_token(token, settings["APP_LINK_SECRET"], now, settings["APP_LINK_MAX_AGE"])
    try:
        normalised = normalise_phone(data.phone)
    except InvalidPhone as exc:
        raise handoff.HandoffError("malformed") from exc
    try:
        with db.session.begin_nested():
            db.session.add(HandoffTokenUse(jti=data.jti))
    except IntegrityError as exc:
        raise handoff.HandoffError("replayed") from exc
    lang = data.lang if data.lang in settings["LANGUAGES"] else None
    customer = find_or_create_customer(normalised, lang or settings["BABEL_DEFAULT_LOCALE"])
    if lang:
        customer.locale = lang
    customer.has_app = True
    db.session.commit()
    return customer, data


def authenticate_staff(
    username: str, password: str, ip: str, settings: dict
) -> tuple[Outcome, StaffUser | None]:
    """The active staff user with this username and password, or why not: "wrong" or "locked".

    Failures count per username typed (whether or not it exists) and per IP; once either limit is spent,
    even the right password waits. An unknown username costs the same hash check as a known one.
    """
    name = username.strip()
    name_key = name.casefold()
    user_limit, ip_limit = settings["STAFF_SIGN_IN_LIMIT_USERNAME"], settings["STAFF_SIGN_IN_LIMIT_IP"]
    for spec, scope, key in ((user_limit, "staff-name", name_key), (ip_limit, "staff-ip", ip)):
        if throttle.spent(spec, scope, key):
            log.warning("staff sign-in refused while locked: username=%r ip=%s", name[:64], ip)
            return Outcome(False, "locked", wait_minutes=throttle.wait_minutes(spec, scope, key)), None
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == name))
    if user is None:
        check_password_hash(_dummy_hash(settings["PASSWORD_HASH_METHOD"]), password)
    elif user.check_password(password) and user.active:
        return Outcome(True), user
    throttle.count(user_limit, "staff-name", name_key)
    throttle.count(ip_limit, "staff-ip", ip)
    sign_in_refused.send("staff", reason="password")
    log.warning("staff sign-in failed: username=%r ip=%s", name[:64], ip)
    return Outcome(False, "wrong"), None


@cache
def _dummy_hash(method: str) -> str:
    """A hash made the way staff passwords are, checked for unknown usernames (same cost, no answer)."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def open_session(principal: Customer | StaffUser, embed: bool = False) -> LoginSession:
    """A new server-side session for the principal (never reuse one across sign-ins)."""
    login = LoginSession(id=secrets.token_urlsafe(32), embed=embed)
    if isinstance(principal, StaffUser):
        login.staff_id = principal.id
    else:
        login.customer_id = principal.id
    db.session.add(login)
    db.session.commit()
    principal.login_session = login
    return login


def end_session(session_id: str | None) -> None:
    """Sign out on the server: the session can never be used again."""
    if not session_id:
        return
    login = db.session.get(LoginSession, session_id)
    if login and login.ended_at is None:
        login.ended_at = utcnow()
        db.session.commit()


def session_expired(login: LoginSession, last_seen: datetime | None, now: datetime, settings: dict) -> bool:
    """Whether a sign-in has run out: too long since sign-in, or too long since its last request."""
    if now - login.created_at > timedelta(seconds=settings["SESSION_ABSOLUTE_SECONDS"]):
        return True
    return last_seen is not None and now - last_seen > timedelta(seconds=settings["SESSION_IDLE_SECONDS"])


@cache
def _with_person() -> tuple:
    """Loader options for the person, built once (on first use: the mappers must be complete); they cost
    more to build than the lookup itself, and it runs on every page."""
    return (joinedload(LoginSession.customer), joinedload(LoginSession.staff))


def load_principal(session_id: str) -> Customer | StaffUser | None:
    """The person behind a live session id, for Flask-Login (one query, on every page)."""
    login = db.session.get(LoginSession, session_id, options=_with_person())
    if login is None or login.ended_at is not None:
        return None
    principal = login.staff if login.staff_id else login.customer
    if principal is None or (isinstance(principal, StaffUser) and not principal.active):
        return None
    principal.login_session = login
    return principal
