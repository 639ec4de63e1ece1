"""Where a customer goes to see a case: the lifecycle feature's progress page."""

from flask import url_for
from werkzeug.routing import BuildError

CASE_ENDPOINT = "cases.progress"


def case_page_url(case_id: int) -> str:
    """URL of the case's progress page (退款进度)."""
    try:
        return url_for(CASE_ENDPOINT, case_id=case_id)
    except BuildError:
        # The progress page is built by the lifecycle feature; its address is agreed to be /cases/<id>.
        return f"/cases/{case_id}"
