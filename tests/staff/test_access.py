"""Every staff route × every role: sign-in for the anonymous, 403 for a wrong role, 404 when missing."""

import pytest

from portal.cases.models import RefundCase
from portal.demo.builder import build
from tests.factories import open_case, sign_in_customer, sign_in_staff, situation_order

ACTIONS = [
    "claim",
    "assign",
    "green-channel",
    "approve",
    "reject",
    "request-evidence",
    "escalate",
    "arbitration-outcome",
    "return-to-review",
]
SENIOR_ONLY = {"assign", "arbitration-outcome", "return-to-review"}


@pytest.fixture
def setup(app, db):
    build()
    case = open_case(situation_order("game_card_unused"))
    evidence_id = case.evidence[0].public_id
    return {"case_id": case.id, "evidence": evidence_id}


def _routes(case_id: int, evidence: str) -> list[tuple[str, str]]:
    routes = [
        ("GET", f"/staff/cases/{case_id}"),
        ("GET", f"/staff/evidence/{evidence}"),
        ("GET", f"/staff/evidence/{evidence}/thumb"),
    ]
    routes += [("POST", f"/staff/cases/{case_id}/{action}") for action in ACTIONS]
    return routes


def _client(app, role: str):
    client = app.test_client()
    if role == "customer":
        sign_in_customer(client, app)
    elif role != "anonymous":
        sign_in_staff(client, app, role)
    return client


def _call(client, method: str, url: str):
    return client.get(url) if method == "GET" else client.post(url, data={})


def test_anonymous_is_sent_to_staff_sign_in(app, setup):
    client = _client(app, "anonymous")
    for method, url in [("GET", "/staff/"), *_routes(setup["case_id"], setup["evidence"])]:
        response = _call(client, method, url)
        assert response.status_code == 302, url
        assert "/staff/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["customer", "editor"])
def test_wrong_roles_get_403(app, setup, role):
    client = _client(app, role)
    for method, url in _routes(setup["case_id"], setup["evidence"]):
        assert _call(client, method, url).status_code == 403, (role, url)
    if role == "customer":
        assert client.get("/staff/").status_code == 403


def test_policy_editors_are_sent_to_the_policy_editor(app, setup):
    response = _client(app, "editor").get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/policy/")


@pytest.mark.parametrize("role", ["reviewer", "senior", "admin"])
def test_review_roles_reach_every_route(app, setup, role):
    client = _client(app, role)
    assert client.get("/staff/").status_code == 200
    for method, url in _routes(setup["case_id"], setup["evidence"]):
        status = _call(client, method, url).status_code
        action = url.rsplit("/", 1)[-1]
        if role == "reviewer" and method == "POST" and action in SENIOR_ONLY:
            assert status == 403, url
        else:
            # An empty POST is refused as bad input (422), never as forbidden or missing.
            assert status in (200, 422), (url, status)


@pytest.mark.parametrize("role", ["reviewer", "senior", "admin"])
def test_missing_objects_are_404(app, setup, role, db):
    client = _client(app, role)
    missing = 999_999
    assert db.session.get(RefundCase, missing) is None
    assert client.get(f"/staff/cases/{missing}").status_code == 404
    for action in ACTIONS:
        if role == "reviewer" and action in SENIOR_ONLY:
            continue
        assert client.post(f"/staff/cases/{missing}/{action}", data={}).status_code == 404, action
    assert client.post(f"/staff/cases/{setup['case_id']}/no-such-action", data={}).status_code == 404
    assert client.get("/staff/evidence/no-such-file").status_code == 404
    assert client.get("/staff/evidence/no-such-file/thumb").status_code == 404


@pytest.mark.parametrize("prefix", ["", "/staff"])
@pytest.mark.parametrize("role", ["editor", "reviewer", "senior"])
def test_one_evidence_rule_on_every_evidence_url(app, setup, prefix, role):
    """Staff who review cases see a case's files, whichever URL serves them; a policy editor gets 403."""
    client = _client(app, role)
    file_url = f"{prefix}/evidence/{setup['evidence']}"
    if role == "editor":
        assert client.get(file_url).status_code == 403
        assert client.get(f"{file_url}/thumb").status_code == 403
    else:
        assert client.get(file_url).status_code == 200
        assert client.get(f"{file_url}/thumb").status_code in (200, 404)  # 404: no thumbnail was made
