"""Where a customer goes to see a case: the lifecycle feature's progress page."""

from flask import url_for


def case_page_url(case_id: int) -> str:
    """URL of the case's progress page (退款进度)."""
    return url_for("cases.progress", case_id=case_id)
