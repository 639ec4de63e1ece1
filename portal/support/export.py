"""Making a case's arbitration dossier from the records, and logging that it was made (see dossier.py)."""

from pathlib import PurePosixPath

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.cases.auditchain import CHAIN_FIELDS
from portal.cases.auditlog import append_event
from portal.cases.models import AuditHead, CaseEvent, RefundCase
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.evidence.storage import InvalidKeyError, Storage
from portal.extensions import db
from portal.policy.publishing import version_for_case
from portal.support import dossier
from portal.support.models import Conversation, SupportMessage

EXPORTED = "dossier_exported"


class NotForArbitration(ValueError):
    """Only a case that is, or was, in third-party arbitration has a dossier."""


def went_to_arbitration(case: RefundCase) -> bool:
    return CaseState(case.state) is CaseState.ARBITRATION or any(
        e.to_state == CaseState.ARBITRATION for e in case.events
    )


def export(case: RefundCase, staff: StaffUser, storage: Storage) -> tuple[str, bytes]:
    """The dossier's file name and bytes; its SHA-256 is logged on the case (the caller commits)."""
    if not went_to_arbitration(case):
        raise NotForArbitration(case.number)
    now = utcnow()
    parts = _parts(case, storage)
    data = dossier.build(case.number, now.isoformat(timespec="seconds") + "Z", parts)
    digest = dossier.sha256(data)
    append_event(
        case,
        EXPORTED,
        Actor.STAFF,
        staff.id,
        case.state,
        case.state,
        data={"sha256": digest, "size": len(data), "format": dossier.FORMAT},
    )
    return f"dossier-{case.number}-{now:%Y%m%d%H%M%S}.zip", data


def _parts(case: RefundCase, storage: Storage) -> dict[str, bytes]:
    events = list(
        db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )
    head = db.session.get(AuditHead, 1)
    evidence_index, files = _evidence(case, storage)
    version = version_for_case(case)
    statements = _statements(case, events)
    parts = {
        "order.json": dossier.to_json(_order(case)),
        "case.json": dossier.to_json(_case(case)),
        "statements.json": dossier.to_json(statements),
        dossier.EVENTS: dossier.to_json(
            {
                "events": [{**{n: getattr(e, n) for n in CHAIN_FIELDS}, "hash": e.hash} for e in events],
                "chain_head": {"seq": head.seq, "hash": head.hash} if head else None,
            }
        ),
        "policy.json": dossier.to_json(
            {
                "version": version.id if version else None,
                "published_at": version.published_at if version else None,
                "rules": version.rules if version else None,
                "texts": (
                    (version.texts or {}).get("zh_CN", {}).get(str(case.order.category), {})
                    if version
                    else {}
                ),
            }
        ),
        dossier.EVIDENCE_INDEX: dossier.to_json(evidence_index),
        **files,
    }
    with force_locale("zh_CN"):
        parts["summary.html"] = render_template(
            "support/dossier_summary.html",
            case=case,
            events=events,
            statements=statements,
            evidence=evidence_index,
            version=version,
            head=head,
        ).encode("utf-8")
    return parts


def _masked(value: str) -> str:
    return f"****{value[-4:]}" if value else ""


def _order(case: RefundCase) -> dict:
    o = case.order
    return {
        "number": o.number,
        "product_title": o.product_title,
        "category": str(o.category),
        "quantity": o.quantity,
        "amount_fen": o.amount_fen,
        "refunded_fen": o.refunded_fen,
        "payment_route": str(o.payment_route),
        "payment_account": _masked(o.payment_account),
        "paid_at": o.paid_at,
        "fulfilment": str(o.fulfilment),
        "usage": str(o.usage),
        "used_permille": o.used_permille,
        "activated_at": o.activated_at,
        "last_used_at": o.last_used_at,
        "trial_ends_at": o.trial_ends_at,
        "recipient": _masked(o.recipient),
        "delivery_status": str(o.delivery_status),
        "delivery_note": o.delivery_note,
        "delivery_at": o.delivery_at,
    }


def _case(case: RefundCase) -> dict:
    return {
        "number": case.number,
        "refund_type": str(case.refund_type),
        "state": str(case.state),
        "requested_fen": case.requested_fen,
        "suggested_fen": case.suggested_fen,
        "approved_fen": case.approved_fen,
        "clause": case.clause,
        "policy_version": case.policy_version_id,
        "green_channel": case.green_channel,
        "urgent": case.urgent,
        "risk_flags": case.risk_flags,
        "decision_reason_code": case.decision_reason_code,
        "decided_at": case.decided_at,
        "created_at": case.created_at,
    }


def _statements(case: RefundCase, events: list[CaseEvent]) -> list[dict]:
    said = [{"who": "customer", "at": case.created_at, "source": "request", "text": case.reason_text}]
    for e in events:
        if e.reason and e.action != "submitted":
            said.append(
                {"who": e.actor_kind, "at": e.at, "source": f"case log: {e.action}", "text": e.reason}
            )
    messages = db.session.scalars(
        select(SupportMessage)
        .join(Conversation, Conversation.id == SupportMessage.conversation_id)
        .where(Conversation.case_id == case.id)
        .order_by(SupportMessage.id)
    )
    for m in messages:
        text = m.body + (f" [photo sha256 {m.sha256}]" if m.sha256 else "")
        said.append({"who": m.author_kind, "at": m.created_at, "source": "customer service", "text": text})
    return sorted(said, key=lambda s: s["at"])


def _evidence(case: RefundCase, storage: Storage) -> tuple[list[dict], dict[str, bytes]]:
    index, files = [], {}
    for n, f in enumerate((f for f in case.evidence if f.removed_at is None), start=1):
        name = f"evidence/{n:02d}-{f.checklist_key}{PurePosixPath(f.storage_key).suffix}"
        entry = {
            "file": name,
            "item": f.checklist_key,
            "mime": f.mime,
            "uploaded_at": f.uploaded_at,
            "uploaded_sha256": f.sha256,
            "public_id": f.public_id,
        }
        try:
            data = storage.open(f.storage_key)
        except (FileNotFoundError, InvalidKeyError):
            entry.update(file=None, missing=True)
        else:
            files[name] = data
            entry["sha256"] = dossier.sha256(data)
        index.append(entry)
    return index, files
