"""Where a customer goes to see a case: its progress page (退款进度). The wizard, 我的订单 and the APP bridge
link to it; they sit above the cases, so the link lives here."""

from flask import url_for


def case_page_url(case_id: int) -> str:
    """URL of the case's progress page (退款进度)."""
    return url_for("cases.progress", case_id=case_id)
