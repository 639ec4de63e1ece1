"""Versioned policy: the rule numbers and the texts customers read."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.dbtypes import JsonData
from portal.extensions import db


class PolicyVersion(db.Model):
    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, published, retired
    rules: Mapped[dict] = mapped_column(JsonData)
    texts: Mapped[dict] = mapped_column(JsonData)
    note: Mapped[str] = mapped_column(Text, default="")
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    published_at: Mapped[datetime | None]
