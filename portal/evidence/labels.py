"""What a refused upload says, in the reader's language: the edge's words for the codes that
``inspect.EvidenceError`` and ``uploads.UploadRefused`` carry (those modules stay free of Flask)."""

from flask_babel import gettext

from portal.evidence.inspect import EvidenceError
from portal.evidence.uploads import UploadRefused
from portal.i18n import lazy_gettext as _l
from portal.policy.labels import EVIDENCE_KIND_LABELS

# inspect.CODES: what is wrong with the bytes.
FILE_REFUSALS = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than %(limit_mb)s MB."),
    "unsupported_type": _l("This type of file is not accepted. Accepted types: %(accepted)s."),
    "image_too_large": _l("The image has too many pixels (the limit is %(limit_mp)s megapixels)."),
    "corrupt": _l("The file is damaged or incomplete. Please upload it again."),
}

# The UploadRefused codes with words of their own: the caps and a storage failure.
UPLOAD_REFUSALS = {
    "too_many_for_item": _l("This item already has %(limit)s files, the most it can take."),
    "too_many_for_case": _l("This request already has %(limit)s files, the most it can take."),
    "too_many_at_once": _l("Please send at most %(limit)s files at once."),
    "storage_failed": _l("The file could not be saved. Please try again in a moment."),
}


def refusal_message(exc: EvidenceError | UploadRefused) -> str | None:
    """The refusal in the current language; None for the codes whose words depend on the page
    ("bad_item", "no_file", "case_not_accepting": the caller says them)."""
    if isinstance(exc, EvidenceError):
        return str(FILE_REFUSALS[exc.code]) % exc.params
    if exc.code in UPLOAD_REFUSALS:
        return str(UPLOAD_REFUSALS[exc.code]) % {"limit": exc.limit}
    if exc.code == "wrong_kind":
        kinds = ", ".join(str(EVIDENCE_KIND_LABELS[k]) for k in exc.kinds)
        return gettext("This item accepts only: %(kinds)s.", kinds=kinds)
    return None
