"""Serving evidence files: one blueprint, one access rule (``access.py``), one set of headers, whether a
customer opens /evidence/<id> or a reviewer /staff/evidence/<id> (and their thumbnails)."""

import io

from flask import Blueprint, abort, redirect, request, send_file, url_for
from flask_login import current_user

from portal.evidence import stores, uploads
from portal.evidence.access import Access, access
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import InvalidKeyError

bp = Blueprint("evidence", __name__)

# Customer-supplied bytes: nothing in them may run or load anything, whatever the browser makes of them.
CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src 'self'"
MAX_AGE = 3600  # private to the browser (see below)


@bp.get("/evidence/<public_id>", endpoint="file", defaults={"thumb": False, "staff_url": False})
@bp.get("/evidence/<public_id>/thumb", endpoint="thumb", defaults={"thumb": True, "staff_url": False})
@bp.get("/staff/evidence/<public_id>", endpoint="staff_file", defaults={"thumb": False, "staff_url": True})
@bp.get(
    "/staff/evidence/<public_id>/thumb", endpoint="staff_thumb", defaults={"thumb": True, "staff_url": True}
)
def serve(public_id: str, thumb: bool, staff_url: bool):
    """The stored (sanitised) file, or an image's thumbnail; PDFs only as a download in a sandbox."""
    evidence_file = uploads.get_file(public_id)
    verdict = access(current_user, evidence_file, staff_url)
    if verdict is Access.SIGN_IN:
        sign_in = "accounts.staff_sign_in" if staff_url else "accounts.sign_in"
        return redirect(url_for(sign_in, next=request.full_path.rstrip("?")))
    if verdict is not Access.ALLOWED:
        abort(403 if verdict is Access.FORBIDDEN else 404)
    if thumb and evidence_file.kind != "image":
        abort(404)  # PDFs have no preview
    key = evidence_file.thumb_key if thumb and evidence_file.thumb_key else evidence_file.storage_key
    try:
        data = stores.get("evidence").open(key)
    except (FileNotFoundError, InvalidKeyError):
        abort(404)
    mimetype = "image/jpeg" if key == evidence_file.thumb_key else evidence_file.mime
    return _file_response(
        data, mimetype, evidence_file, as_attachment=evidence_file.kind == "pdf" and not thumb
    )


def _file_response(data: bytes, mimetype: str, evidence_file: EvidenceFile, as_attachment: bool):
    """The one set of headers: the customer's file name, inline or as a download, sandboxed, never sniffed,
    kept by the browser alone."""
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=uploads.download_name(evidence_file),
        max_age=MAX_AGE,
        etag=False,
    )
    # Private: the file is the customer's; a shared cache must never keep it.
    response.cache_control.public = False
    response.cache_control.private = True
    response.vary.add("Cookie")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
