"""退款进度: full page and htmx fragment, 304 on unchanged polls (one query), polling stops, the actions."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import Engine, event, select

from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import CaseRequest, assess_order, submit_case
from portal.cases.states import CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import InboxMessage
from portal.outbox import OutboxItem
from tests.conftest import htmx_headers
from tests.factories import advance, open_case_for, sign_in_customer

S = CaseState


def _url(case_id: int, lang: str = "en") -> str:
    return f"/cases/{case_id}?lang={lang}"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


class QueryCounter:
    """Statements sent by any engine (the poll's fast lane keeps its own pool)."""

    def __init__(self, engine=Engine):
        self.statements: list[str] = []
        self.engine = engine

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


def test_a_compressed_page_is_never_answered_from_the_browser_s_copy(client, customer):
    """A reload must render anew (bridge events for the APP ride on the page): no 304 for a full page."""
    case_id = open_case_for(customer).id
    first = client.get(_url(case_id), headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br" and first.last_modified is not None
    again = client.get(
        _url(case_id),
        headers={"Accept-Encoding": "br", "If-Modified-Since": first.headers["Last-Modified"]},
    )
    assert again.status_code == 200 and again.data


def test_full_page_without_htmx_and_fragment_with_it(client, customer):
    case_id = open_case_for(customer).id
    page = client.get(_url(case_id))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and "Refund progress" in html
    assert 'id="case-live"' in html and 'class="titlebar-back" href="/refunds"' in html  # back to 退款记录
    # Valid HTML: htmx reads data-hx-* attributes; <time datetime> in whole seconds, UTC.
    assert not re.search(r"\shx-[a-z]", html) and "data-hx-" in html
    stamps = re.findall(r'datetime="([^"]*)"', html)
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps)
    assert "Decision due by" in html and "(Beijing time)" in html
    assert ">Refresh</a>" in html  # the JavaScript-off way to update
    assert "HX-Request" in page.headers["Vary"]

    fragment = client.get(_url(case_id), headers=htmx_headers())
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<section id="case-live"')
    assert re.search(r'hx-trigger="every \d+s"', body)
    assert fragment.headers["ETag"].startswith('W/"case-')
    assert fragment.headers["Last-Modified"]
    # The polled element sends its own ETag back, so the browser's cache cannot turn a 304 into a swap.
    assert "If-None-Match" in body


def test_timeline_nodes_times_and_explanations(client, customer):
    case_id = open_case_for(customer).id
    html = client.get(_url(case_id)).get_data(as_text=True)
    nodes = re.findall(r'<li class="node node-(\w+)"', html)
    assert nodes == ["current", "next", "next", "next", "next", "next"]
    assert "Your request is waiting for its evidence check." in html
    assert "The refund starts within 24 hours of approval." in html
    assert "2026" in html or "20" in html  # a time with the year


def test_unchanged_poll_answers_304_after_one_query(app, client, customer):
    case_id = open_case_for(customer).id
    polled = f"/cases/{case_id}"  # what the page's hx-get asks for
    first = client.get(polled, headers=htmx_headers())
    etag = first.headers["ETag"]
    with QueryCounter() as counter:
        again = client.get(polled, headers=htmx_headers(**{"If-None-Match": etag}))
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["HX-Reswap"] == "none"  # htmx keeps the page as it is
    assert "Set-Cookie" not in again.headers
    # The session check and the case's stamp together, by primary keys: nothing else is read.
    assert len(counter.statements) == 1, counter.statements
    assert "refund_cases.id =" in counter.statements[0] and "login_sessions" in counter.statements[0]


@pytest.mark.parametrize(
    "query,locale,accept", [("?lang=en", "zh_CN", None), ("", "en", None), ("", "zh_CN", "en")]
)
def test_the_cheap_poll_agrees_with_the_page_on_the_language(app, client, customer, query, locale, accept):
    from portal.accounts.models import Customer

    with app.app_context():
        db.session.get(Customer, customer).locale = locale
        db.session.commit()
        case_id = open_case_for(customer).id
    headers = htmx_headers(**({"Accept-Language": accept} if accept else {}))
    etag = client.get(f"/cases/{case_id}{query}", headers=headers).headers["ETag"]
    again = client.get(f"/cases/{case_id}{query}", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304


def test_a_poll_from_an_ended_session_is_not_answered(app, client, customer):
    from portal.accounts.models import LoginSession

    case_id = open_case_for(customer).id
    etag = client.get(_url(case_id), headers=htmx_headers()).headers["ETag"]
    db.session.remove()  # start afresh, as the next request will
    for login in db.session.scalars(select(LoginSession)):
        login.ended_at = utcnow()
    db.session.commit()
    response = client.get(_url(case_id), headers=htmx_headers(**{"If-None-Match": etag}))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_change_gives_a_new_etag_and_the_new_state(client, customer, app):
    case_id = open_case_for(customer).id
    etag = client.get(_url(case_id), headers=htmx_headers()).headers["ETag"]
    with app.app_context():
        advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)
    changed = client.get(_url(case_id), headers=htmx_headers(**{"If-None-Match": etag}))
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "A reviewer is checking the order" in changed.get_data(as_text=True)


def test_lateness_alone_changes_the_etag(client, customer, app):
    case_id = open_case_for(customer).id
    etag = client.get(_url(case_id), headers=htmx_headers()).headers["ETag"]
    with app.app_context():
        # Only the clock moved past the deadline (written here without touching updated_at or version).
        db.session.execute(
            RefundCase.__table__.update()
            .where(RefundCase.id == case_id)
            .values(
                review_due_at=utcnow() - timedelta(minutes=1), step_due_at=utcnow() - timedelta(minutes=1)
            )
        )
        db.session.commit()
    late = client.get(_url(case_id), headers=htmx_headers(**{"If-None-Match": etag}))
    assert late.status_code == 200
    assert "The review is late" in late.get_data(as_text=True)


def test_language_is_part_of_the_etag(client, customer):
    case_id = open_case_for(customer).id
    etag = client.get(_url(case_id, "en"), headers=htmx_headers()).headers["ETag"]
    other = client.get(_url(case_id, "zh_CN"), headers=htmx_headers(**{"If-None-Match": etag}))
    assert other.status_code == 200


def test_polling_stops_at_a_final_state(client, customer):
    case_id = open_case_for(customer).id
    client.post(f"/cases/{case_id}/withdraw?lang=en")
    body = client.get(_url(case_id), headers=htmx_headers()).get_data(as_text=True)
    assert "hx-trigger" not in body and "hx-get" not in body
    assert "You withdrew this request." in body
    assert "This page updates by itself." not in body


def test_refunded_case_shows_amount_route_and_arrival_and_stops_polling(client, customer, app):
    case_id = open_case_for(customer).id
    with app.app_context():
        advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW)
        case = db.session.get(RefundCase, case_id)
        advance(case_id, S.APPROVED, approved_fen=case.requested_fen - 100, decided_at=utcnow())
    html = client.get(_url(case_id)).get_data(as_text=True)
    assert "Partly approved" in html and "Approved amount" in html
    assert "Expected arrival" in html and "The refund starts by" in html
    with app.app_context():
        from portal.cases.services import move
        from portal.cases.states import Actor

        case = db.session.get(RefundCase, case_id)
        move(case, S.EXECUTING, Actor.SYSTEM, None)
        db.session.commit()
    executing = client.get(_url(case_id)).get_data(as_text=True)
    assert "Expected to arrive by" in executing and "is on its way back to your" in executing
    with app.app_context():
        case = db.session.get(RefundCase, case_id)
        move(case, S.REFUNDED, Actor.SYSTEM, None)
        db.session.commit()
    done = client.get(_url(case_id), headers=htmx_headers()).get_data(as_text=True)
    assert "Refunded on" in done and "hx-trigger" not in done
    assert "Refunded amount" in done


def test_another_customers_case_is_404(app, client, customer):
    case_id = open_case_for(customer).id
    stranger = app.test_client()
    sign_in_customer(stranger, app, "+8613900139000")
    assert stranger.get(_url(case_id)).status_code == 404
    assert stranger.get(_url(case_id), headers=htmx_headers()).status_code == 404
    assert stranger.post(f"/cases/{case_id}/withdraw").status_code == 404
    assert stranger.post(f"/cases/{case_id}/appeal", data={"reason": "mine now"}).status_code == 404
    assert case_id and f"/cases/{case_id}" not in stranger.get("/refunds").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/cases/1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- actions ------------------------------------------------------------------------------------------------


def test_withdraw_plain_form_redirects_and_announces(client, customer, app):
    case_id = open_case_for(customer).id
    response = client.post(f"/cases/{case_id}/withdraw?lang=en")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/cases/{case_id}")
    with app.app_context():
        case = db.session.get(RefundCase, case_id)
        assert case.state == S.WITHDRAWN and not case.is_open
        events = [
            m.event for m in db.session.scalars(select(InboxMessage).where(InboxMessage.case_id == case_id))
        ]
        assert events == ["submitted", "withdrawn"]
        # The customer withdrew it themselves: told in the 站内信, not by SMS (policy phone_news).
        assert db.session.scalar(select(OutboxItem).where(OutboxItem.template == "case:withdrawn")) is None


def test_withdraw_with_htmx_redirects_the_whole_page(client, customer):
    case_id = open_case_for(customer).id
    response = client.post(f"/cases/{case_id}/withdraw", headers=htmx_headers())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/cases/{case_id}"


def test_withdraw_after_a_decision_is_refused_without_change(client, customer, app):
    case_id = open_case_for(customer).id
    with app.app_context():
        advance(case_id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.APPROVED, approved_fen=100)
    response = client.post(f"/cases/{case_id}/withdraw?lang=en", follow_redirects=True)
    assert "changed in the meantime" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RefundCase, case_id).state == S.APPROVED


def _reject(app, case_id: int) -> None:
    with app.app_context():
        advance(
            case_id,
            S.EVIDENCE_RECEIVED,
            S.UNDER_REVIEW,
            S.REJECTED,
            decision_reason_code="outside_policy",
            decision_note="The trial ended before you asked.",
        )


def test_rejected_case_shows_reason_and_offers_appeal(client, customer, app):
    case_id = open_case_for(customer).id
    _reject(app, case_id)
    html = client.get(_url(case_id)).get_data(as_text=True)
    assert "Why your request was rejected" in html
    assert "The request is outside the refund policy" in html  # the reason label
    assert "The trial ended before you asked." in html  # the reviewer's words
    assert 'id="appeal"' in html and "Withdraw this request" not in html
    nodes = re.findall(r'<li class="node node-(\w+)"', html)
    assert nodes[-1] == "current" and len(nodes) == 4  # nothing comes after a rejection but an appeal


def test_appeal_needs_a_reason_422_keeps_the_text(client, customer, app):
    case_id = open_case_for(customer).id
    _reject(app, case_id)
    plain = client.post(f"/cases/{case_id}/appeal?lang=en", data={"reason": "no"})
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    htmx = client.post(f"/cases/{case_id}/appeal?lang=en", data={"reason": "no"}, headers=htmx_headers())
    body = htmx.get_data(as_text=True)
    assert htmx.status_code == 422 and "<html" not in body
    assert 'aria-invalid="true"' in body and ">no</textarea>" in body


def test_appeal_moves_to_appealed_with_24_hour_deadline(client, customer, app):
    case_id = open_case_for(customer).id
    _reject(app, case_id)
    response = client.post(
        f"/cases/{case_id}/appeal?lang=en", data={"reason": "The trial had two days left, see my order."}
    )
    assert response.status_code == 303
    with app.app_context():
        case = db.session.get(RefundCase, case_id)
        assert case.state == S.APPEALED
        assert timedelta(hours=23) < case.step_due_at - utcnow() <= timedelta(hours=24)
        last = db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "appealed")
        ).one()
        assert last.actor_kind == "customer" and last.data == {"grounds": "disagree"}
    html = client.get(_url(case_id)).get_data(as_text=True)
    assert "Answer to your appeal due by" in html and 'id="appeal"' not in html


def test_no_appeal_once_a_newer_request_for_the_order_is_open(client, customer, app):
    case_id = open_case_for(customer).id
    _reject(app, case_id)
    with app.app_context():
        old = db.session.get(RefundCase, case_id)
        assessment = assess_order(old.order, old.refund_type)
        submit_case(
            CaseRequest(
                customer_id=customer,
                order_id=old.order_id,
                refund_type=old.refund_type,
                reason_text="Trying again.",
                amount_fen=assessment.suggested_fen,
                idempotency_key="second-try",
                evidence_ids=(),
            )
        )
        db.session.commit()
    assert 'id="appeal"' not in client.get(_url(case_id)).get_data(as_text=True)
    response = client.post(f"/cases/{case_id}/appeal?lang=en", data={"reason": "I still disagree with this."})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(RefundCase, case_id).state == S.REJECTED


def test_appeal_answer_is_final(client, customer, app):
    case_id = open_case_for(customer).id
    _reject(app, case_id)
    client.post(f"/cases/{case_id}/appeal", data={"reason": "Please look again."})
    with app.app_context():
        advance(case_id, S.REJECTED, decision_reason_code="outside_policy")
    html = client.get(_url(case_id)).get_data(as_text=True)
    assert "after your appeal" in html and 'id="appeal"' not in html


def test_late_review_may_be_appealed_quietly_through_intake(client, customer, app):
    case_id = open_case_for(customer).id
    assert 'id="appeal"' not in client.get(_url(case_id)).get_data(as_text=True)
    refused = client.post(f"/cases/{case_id}/appeal", data={"reason": "Too early to appeal."})
    assert refused.status_code == 303
    with app.app_context():
        assert db.session.get(RefundCase, case_id).state == S.SUBMITTED
        case = db.session.get(RefundCase, case_id)
        case.review_due_at = case.step_due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    html = client.get(_url(case_id)).get_data(as_text=True)
    assert "The review is late" in html and 'id="appeal"' in html
    client.post(f"/cases/{case_id}/appeal", data={"reason": "Nobody looked at it in time."})
    with app.app_context():
        case = db.session.get(RefundCase, case_id)
        assert case.state == S.APPEALED
        moves = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id)).all()
        assert moves[-4:-1] == ["intake_for_appeal", "intake_for_appeal", "appealed"]
        told = db.session.scalars(select(InboxMessage.event).where(InboxMessage.case_id == case_id)).all()
        assert told == ["submitted", "appealed"]  # the intake hops are not announced
        texted = db.session.scalars(select(OutboxItem.template).where(OutboxItem.case_id == case_id)).all()
        assert texted == ["case:submitted"]  # an appeal received is 站内信 news; its answer goes by SMS


def test_added_evidence_keeps_to_the_kinds_the_policy_accepts_for_the_item(client, customer, app):
    from portal.policy.kinds import RefundType
    from tests.samples import MINIMAL_PDF

    case_id = open_case_for(customer, RefundType.NOT_RECEIVED, auto=False).id
    with app.app_context():
        case = db.session.get(RefundCase, case_id)
        assert case.order.category == "game_card"  # its screenshot item takes images only
        assert case.state == S.EVIDENCE_RECEIVED  # the screenshot came with the request
        item = "topup_failure_screenshot"
        advance(case_id, S.UNDER_REVIEW, S.MORE_EVIDENCE, requested_items=[item])
    refused = client.post(
        f"/cases/{case_id}/evidence?lang=en",
        data={"item": item, "file": (io.BytesIO(MINIMAL_PDF), "proof.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "This item accepts only: Photo or screenshot" in refused.get_data(as_text=True)
    accepted = client.post(
        f"/cases/{case_id}/evidence?lang=en",
        data={"item": item, "file": (io.BytesIO(_png()), "shot.png")},
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 303


def test_more_evidence_upload_and_send_back(client, customer, app):
    case_id = open_case_for(customer).id
    with app.app_context():
        advance(
            case_id,
            S.EVIDENCE_RECEIVED,
            S.UNDER_REVIEW,
            S.MORE_EVIDENCE,
            requested_items=["other"],
            decision_note="Please send the trial start e-mail.",
            step_due_at=utcnow() + timedelta(days=3),
        )
    html = client.get(_url(case_id)).get_data(as_text=True)
    assert 'id="add-evidence"' in html and "Please add the evidence by" in html
    early = client.post(f"/cases/{case_id}/evidence/done?lang=en")
    assert early.status_code == 422 and "for every item" in early.get_data(as_text=True)
    bad = client.post(
        f"/cases/{case_id}/evidence?lang=en",
        data={"item": "other", "file": (io.BytesIO(b"not an image"), "x.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and 'id="evidence-file-error"' in bad.get_data(as_text=True)
    good = client.post(
        f"/cases/{case_id}/evidence?lang=en",
        data={"item": "other", "file": (io.BytesIO(_png()), "mail.png")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    done = client.post(f"/cases/{case_id}/evidence/done?lang=en")
    assert done.status_code == 303
    with app.app_context():
        case = db.session.get(RefundCase, case_id)
        assert case.state == S.EVIDENCE_RECEIVED
        assert case.review_due_at > utcnow() and case.step_due_at == case.review_due_at
        assert [f.original_name for f in case.evidence] == ["mail.png"]
    page = client.get(_url(case_id)).get_data(as_text=True)
    assert "mail.png" in page


@pytest.mark.parametrize("lang,text", [("en", "Refund records"), ("zh_CN", "退款记录")])
def test_records_list_every_case_with_amount_route_and_arrival(client, customer, app, lang, text):
    first = open_case_for(customer).id
    with app.app_context():
        advance(first, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.APPROVED, approved_fen=100, decided_at=utcnow())
        number = db.session.get(RefundCase, first).number
    html = client.get(f"/refunds?lang={lang}").get_data(as_text=True)
    assert text in html and number in html and "¥1.00" in html
    assert f'href="/cases/{first}"' in html
    if lang == "en":
        assert "Expected to arrive" in html


def test_records_when_empty(client, customer):
    html = client.get("/refunds?lang=en").get_data(as_text=True)
    assert "You have no refund requests yet." in html
