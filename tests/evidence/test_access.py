"""One access rule and one set of headers for every evidence URL (portal.evidence.views): the owner and staff
who review cases see a case's file alike; another customer gets 404, a policy editor 403."""

import pytest

from portal.extensions import db
from tests.conftest import FreshRequestClient
from tests.factories import (
    OTHER_PHONE,
    add_evidence,
    open_case,
    sign_in_customer,
    sign_in_staff,
    situation_order,
)
from tests.samples import MINIMAL_PDF

HEADERS = (
    "Content-Type",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Content-Disposition",
    "Cache-Control",
)


@pytest.fixture
def case(app, world):
    case = open_case(situation_order("game_card_unused"))
    pdf = add_evidence(case.customer_id, "x", data=MINIMAL_PDF)
    pdf.kind, pdf.mime, pdf.case_id = "pdf", "application/pdf", case.id
    db.session.commit()
    return case


def _client(app, who: str):
    client = FreshRequestClient(app, app.response_class, use_cookies=True)  # several users in one test
    if who == "owner":
        sign_in_customer(client, app)
    elif who == "other customer":
        sign_in_customer(client, app, OTHER_PHONE)
    else:
        sign_in_staff(client, app, who)
    return client


def _urls(public_id: str) -> list[str]:
    return [f"{prefix}/evidence/{public_id}{end}" for prefix in ("", "/staff") for end in ("", "/thumb")]


def test_another_customers_file_is_not_found(app, case):
    client = _client(app, "other customer")
    for evidence in case.evidence:
        for url in _urls(evidence.public_id)[:2]:
            assert client.get(url).status_code == 404, url


def test_a_policy_editor_is_refused_everywhere(app, case):
    client = _client(app, "editor")
    for url in _urls(case.evidence[0].public_id):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("kind", ["image", "pdf"])
def test_the_owner_and_a_reviewer_get_the_same_file_with_the_same_headers(app, case, kind):
    evidence = next(e for e in case.evidence if e.kind == kind)
    owner, reviewer = _client(app, "owner"), _client(app, "reviewer")
    responses = [
        owner.get(f"/evidence/{evidence.public_id}"),
        reviewer.get(f"/evidence/{evidence.public_id}"),
        reviewer.get(f"/staff/evidence/{evidence.public_id}"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200]
    first = responses[0]
    for response in responses[1:]:
        assert response.data == first.data
        assert {h: response.headers.get(h) for h in HEADERS} == {h: first.headers.get(h) for h in HEADERS}
    assert first.headers["Content-Security-Policy"].startswith("sandbox")
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert set(first.headers["Cache-Control"].split(", ")) == {"private", "max-age=3600"}
    disposition = "attachment" if kind == "pdf" else "inline"
    assert first.headers["Content-Disposition"].startswith(disposition)


def test_thumbnails_follow_the_same_rule(app, case):
    image = next(e for e in case.evidence if e.kind == "image")
    pdf = next(e for e in case.evidence if e.kind == "pdf")
    owner, reviewer = _client(app, "owner"), _client(app, "reviewer")
    for client, prefix in ((owner, ""), (reviewer, ""), (reviewer, "/staff")):
        thumb = client.get(f"{prefix}/evidence/{image.public_id}/thumb")
        assert thumb.status_code == 200 and thumb.headers["Content-Security-Policy"].startswith("sandbox")
        assert (
            client.get(f"{prefix}/evidence/{pdf.public_id}/thumb").status_code == 404
        )  # no preview of a PDF
    assert owner.get(f"/staff/evidence/{image.public_id}").status_code == 403  # the staff area is not theirs
