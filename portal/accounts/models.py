"""Customers, staff, sign-in sessions and one-time codes."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.clock import utcnow
from portal.dbtypes import enum_column
from portal.extensions import db


class StaffRole(StrEnum):
    REVIEWER = "reviewer"
    SENIOR = "senior"
    EDITOR = "editor"
    ADMIN = "admin"


class Principal:
    """What Flask-Login needs; the id it stores is the server-side session's token."""

    is_active = True
    is_authenticated = True
    is_anonymous = False
    login_session: "LoginSession | None" = None

    def get_id(self) -> str | None:
        return self.login_session.id if self.login_session else None


class Customer(Principal, db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(64), default="")
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    has_app: Mapped[bool] = mapped_column(default=False)
    sms_opt_in: Mapped[bool] = mapped_column(default=True)
    # With the APP, news comes by push; SMS as well only when the customer asks for it.
    sms_with_app: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    orders = relationship("Order", back_populates="customer", lazy="dynamic")

    is_staff = False

    @property
    def masked_phone(self) -> str:
        digits = self.phone.removeprefix("+86")
        return f"{digits[:3]}****{digits[-4:]}"


class StaffUser(Principal, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")

    is_staff = True

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: StaffRole) -> bool:
        return self.role == StaffRole.ADMIN or self.role in roles


class LoginSession(db.Model):
    """A server-side session: signing out ends it here, whatever the browser keeps."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    embed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    customer: Mapped[Customer | None] = relationship()
    staff: Mapped[StaffUser | None] = relationship()

    @property
    def page_owner(self) -> int | None:
        """A customer's sign-in changes their pages (portal.pagecache); a staff sign-in changes none."""
        return self.customer_id


class OtpChallenge(db.Model):
    __tablename__ = "otp_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]


class HandoffTokenUse(db.Model):
    """Token ids already exchanged, so that a hand-off link works once."""

    __tablename__ = "handoff_token_uses"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
