"""What the APP has been told through the bridge: one high-water mark of case events per customer."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class BridgeMark(db.Model):
    """The last case event announced to the APP for this customer (each event is announced once)."""

    __tablename__ = "embed_bridge_marks"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
