"""An evidence file: what a customer uploaded for a checklist item, on a wizard draft and then on its case."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db


class EvidenceFile(db.Model):
    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("refund_drafts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("refund_cases.id"), index=True)
    checklist_key: Mapped[str] = mapped_column(String(48))
    storage_key: Mapped[str] = mapped_column(String(128))
    thumb_key: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))
    mime: Mapped[str] = mapped_column(String(48))
    original_name: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int | None]
    height: Mapped[int | None]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    # By name: the files sit below the cases (a case lists its files, the files never import the case).
    case = relationship("RefundCase", back_populates="evidence")
