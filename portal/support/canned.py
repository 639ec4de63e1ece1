"""Canned replies: ready answers policy editors keep in zh_CN and en; staff start from one and adapt it."""

from sqlalchemy import select

from portal.extensions import db
from portal.support.models import CannedReply


def active_replies() -> list[CannedReply]:
    return list(
        db.session.scalars(
            select(CannedReply).where(CannedReply.active.is_(True)).order_by(CannedReply.title)
        )
    )


def all_replies() -> list[CannedReply]:
    return list(
        db.session.scalars(select(CannedReply).order_by(CannedReply.active.desc(), CannedReply.title))
    )


def text_in(reply: CannedReply, lang: str) -> str:
    """The reply in the customer's language (Chinese unless they read English)."""
    return reply.body_en if lang == "en" else reply.body_zh


def save(
    reply: CannedReply | None, title: str, body_zh: str, body_en: str, active: bool, editor_id: int
) -> CannedReply:
    """Add a reply (reply None) or change one; the caller commits."""
    if reply is None:
        reply = CannedReply()
        db.session.add(reply)
    reply.title, reply.body_zh, reply.body_en = title.strip(), body_zh.strip(), body_en.strip()
    reply.active, reply.updated_by_id = bool(active), editor_id
    return reply
