"""Every page is valid HTML by the Nu HTML Checker (vnu.jar, which scripts/test installs into the venv from
the npm registry; it needs Java). One run of the checker per test, over every page in zh_CN and en."""

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from portal.cases.states import CaseState as S
from portal.extensions import db
from portal.policy.models import PolicyVersion
from tests.factories import advance, open_case_for, sign_in_staff

VNU = Path(sys.prefix) / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LANGS = ("zh_CN", "en")


def nu_errors(pages: dict[str, str], folder: Path) -> list[str]:
    """Run the checker once over all pages; its errors as 'page:line: message'."""
    assert VNU.exists(), f"{VNU} is missing: scripts/test installs it (npm install into .venv/vnu)"
    files = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    found = json.loads(done.stderr or done.stdout)["messages"]
    return [f"{Path(m['url']).stem}:{m.get('lastLine')}: {m['message']}" for m in found]


def fetch_all(client, paths: dict[str, str], status: int = 200) -> dict[str, str]:
    pages = {}
    for name, path in paths.items():
        for lang in LANGS:
            response = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            assert response.status_code == status, (path, response.status_code)
            pages[f"{name}-{lang}"] = response.get_data(as_text=True)
    return pages


def test_the_checker_finds_an_error(tmp_path):
    page = '<!doctype html><html lang="en"><title>x</title><p hx-get="/x">invalid attribute</p></html>'
    assert any("hx-get" in error for error in nu_errors({"bad": page}, tmp_path))


def test_every_customer_page_is_valid_html(app, journey, tmp_path):
    signed_out = app.test_client()
    pages = fetch_all(signed_out, {"sign-in": "/login", "staff-sign-in": "/staff/login"})
    case = open_case_for(journey.customer_id)
    advance(case.id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.MORE_EVIDENCE, evidence_request="请补充截图。")
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    journey.describe(order_id)
    paths = {
        "orders": "/orders",
        "order": f"/orders/{order_id}",
        "order-refunded": f"/orders/{journey.orders['fully_refunded']}",
        "wizard-type": f"/orders/{order_id}/refund",
        "wizard-reason": f"/orders/{order_id}/refund/reason",
        "wizard-evidence": f"/orders/{order_id}/refund/evidence",
        "wizard-review": f"/orders/{order_id}/refund/review",
        "records": "/refunds",
        "progress": f"/cases/{case.id}",
        "messages": "/messages",
        "settings": "/messages/settings",
        "me": "/me",
        "contact": "/support",
        "complaints": "/support/complaints",
        "green-channel": f"/support/cases/{case.id}/green-channel",
    }
    pages |= fetch_all(journey.client, paths)
    pages |= fetch_all(journey.client, {"not-found": "/orders/999999"}, status=404)
    assert nu_errors(pages, tmp_path) == []


def test_every_staff_page_is_valid_html(app, client, world, tmp_path):
    case = open_case_for(world.customer_id)
    advance(case.id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)
    sign_in_staff(client, app, "admin")
    version = db.session.scalar(select(func.max(PolicyVersion.id)))
    paths = {
        "queue": "/staff/",
        "case": f"/staff/cases/{case.id}",
        "policy": "/staff/policy/",
        "calendar": "/staff/calendar/",
        "operations": "/staff/operations",
        "payouts": "/staff/payouts",
        "notifications": "/staff/notifications",
        "policy-history": "/staff/policy/history",
        "policy-version": f"/staff/policy/versions/{version}",
        "policy-general": f"/staff/policy/versions/{version}/general",
        "policy-slot": f"/staff/policy/versions/{version}/slots/game_card/not_received",
        "policy-preview": f"/staff/policy/versions/{version}/preview/game_card/not_received",
        "support": "/staff/support",
        "support-complaints": "/staff/support/complaints",
        "support-figures": "/staff/support/figures",
        "support-green": "/staff/support/green-channel",
        "support-replies": "/staff/support/replies",
    }
    assert nu_errors(fetch_all(client, paths), tmp_path) == []
