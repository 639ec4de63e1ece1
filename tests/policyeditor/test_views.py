"""Policy editor pages: roles, editing with kept input, live preview, diff, publish, history, rollback."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.extensions import db as _db
from portal.orders.kinds import Category, DeliveryStatus
from portal.orders.models import Order
from portal.policy.models import PolicyVersion
from portal.policy.publishing import published_version
from portal.policyeditor import services
from tests.conftest import htmx_headers
from tests.factories import sign_in_customer, sign_in_staff

SLOT = "game_card/not_received"


@pytest.fixture
def drafts(world, db):
    """The published default policy and an open draft (in the demo world)."""
    editor = db.session.scalar(select(StaffUser).where(StaffUser.username == "editor"))
    draft = services.start_draft(editor.id)
    db.session.commit()
    return {"published": published_version().id, "draft": draft.id}


def _routes(drafts: dict) -> list[tuple[str, str]]:
    draft, published = drafts["draft"], drafts["published"]
    return [
        ("GET", "/staff/policy/"),
        ("POST", "/staff/policy/drafts"),
        ("GET", f"/staff/policy/versions/{draft}"),
        ("GET", f"/staff/policy/versions/{draft}/slots/{SLOT}"),
        ("POST", f"/staff/policy/versions/{draft}/slots/{SLOT}"),
        ("GET", f"/staff/policy/versions/{draft}/preview/{SLOT}?locale=en"),
        ("GET", f"/staff/policy/versions/{draft}/general"),
        ("POST", f"/staff/policy/versions/{draft}/general"),
        ("GET", f"/staff/policy/versions/{draft}/diff"),
        ("POST", f"/staff/policy/versions/{draft}/publish"),
        ("POST", f"/staff/policy/versions/{draft}/discard"),
        ("GET", "/staff/policy/history"),
        ("POST", f"/staff/policy/versions/{published}/rollback"),
    ]


def _call(client, method: str, url: str, **kw):
    return client.get(url, **kw) if method == "GET" else client.post(url, data={}, **kw)


@pytest.mark.parametrize("username", ["reviewer", "senior"])
def test_every_policy_route_is_forbidden_to_reviewers(app, client, drafts, username):
    sign_in_staff(client, app, username)
    for method, url in _routes(drafts):
        assert _call(client, method, url).status_code == 403, (method, url)


def test_every_policy_route_sends_anonymous_visitors_to_staff_sign_in(client, drafts):
    for method, url in _routes(drafts):
        response = _call(client, method, url)
        assert response.status_code == 302, (method, url)
        assert "/staff/login" in response.headers["Location"]


def test_customers_are_forbidden(app, client, drafts):
    sign_in_customer(client, app)
    for method, url in _routes(drafts):
        assert _call(client, method, url).status_code == 403, (method, url)


@pytest.mark.parametrize("username", ["editor", "admin"])
def test_editors_and_admins_can_open_every_page(app, client, drafts, username):
    sign_in_staff(client, app, username)
    for method, url in _routes(drafts):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_missing_versions_and_slots_are_404(app, client, drafts):
    sign_in_staff(client, app, "editor")
    for method, url in _routes(drafts):
        if "/versions/" in url:
            missing = re.sub(r"/versions/\d+", "/versions/9999", url)
            assert _call(client, method, missing).status_code == 404, (method, missing)
    draft = drafts["draft"]
    assert client.get(f"/staff/policy/versions/{draft}/slots/phone_topup/trial_no_reason").status_code == 404
    assert client.get(f"/staff/policy/versions/{draft}/slots/nope/not_received").status_code == 404
    assert client.get(f"/staff/policy/versions/{draft}/preview/{SLOT}?locale=fr").status_code == 404


def _slot_form(client, version_id: int, slot: str = SLOT) -> dict:
    """The slot form's current values, as a browser would send them."""
    html = client.get(f"/staff/policy/versions/{version_id}/slots/{slot}").get_data(as_text=True)
    data: dict = {}
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', html, re.S):
        data[name] = _unescape(value)
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = _unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        data[name] = next(g for g in chosen.groups() if g is not None) if chosen else ""
    return data


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_saving_a_slot_redirects_and_the_draft_changes(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{SLOT}"
    data = _slot_form(client, drafts["draft"])
    assert data["hint_zh_CN"].startswith("**适用情况**")
    data["hint_en"] = "**Brand new** hint"
    response = client.post(url, data=data)
    assert response.status_code == 303
    with app.app_context():
        draft = _db.session.get(PolicyVersion, drafts["draft"])
        assert draft.texts["en"]["game_card"]["not_received"]["hint"] == "**Brand new** hint"
        published = _db.session.get(PolicyVersion, drafts["published"])
        assert published.texts["en"]["game_card"]["not_received"]["hint"] != "**Brand new** hint"
    assert "Brand new" in client.get(url).get_data(as_text=True)


def test_bad_numbers_show_the_ruleset_message_and_keep_the_input(app, client, drafts):
    sign_in_staff(client, app, "editor")
    slot = "game_item/invalid"
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{slot}"
    data = _slot_form(client, drafts["draft"], slot)
    data["percent_used"] = "150"
    data["hint_en"] = "Kept while invalid"
    response = client.post(url + "?lang=en", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "percent must be within 0..100" in body
    assert "Kept while invalid" in body and 'value="150"' in body
    with app.app_context():
        draft = _db.session.get(PolicyVersion, drafts["draft"])
        assert draft.rules["categories"]["game_item"]["invalid"]["amounts"]["used"]["percent"] == 30


def test_an_empty_hint_is_refused_with_422(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{SLOT}"
    data = _slot_form(client, drafts["draft"])
    data["hint_zh_CN"] = ""
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True)


def test_htmx_autosave_answers_the_preview_fragment(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{SLOT}"
    data = _slot_form(client, drafts["draft"])
    data["hint_en"] = "Typed hint"
    response = client.post(url + "?lang=en", data=data, headers=htmx_headers())
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'id="pe-preview"' in body and "Saved" in body
    assert body.count("<iframe") == 2 and "locale=zh_CN" in body and "locale=en" in body
    data["unactivated_days"] = "x"
    data["percent_unused"] = "abc"
    data["method_unused"] = "percent"
    bad = client.post(url + "?lang=en", data=data, headers=htmx_headers())
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    assert "Not saved" in bad.get_data(as_text=True)


def test_the_preview_renders_the_customer_partial_in_each_language(app, client, drafts):
    sign_in_staff(client, app, "editor")
    base = f"/staff/policy/versions/{drafts['draft']}/preview/{SLOT}"
    zh = client.get(base + "?locale=zh_CN").get_data(as_text=True)
    en = client.get(base + "?locale=en").get_data(as_text=True)
    assert 'class="policy-hint"' in zh and 'class="policy-hint"' in en
    assert "<strong>适用情况</strong>" in zh and "<strong>When it applies</strong>" in en
    assert '<html lang="zh-CN"' in zh and '<html lang="en"' in en
    assert "Sign out" not in en and 'class="lang-switch"' not in en  # no staff chrome in the frame
    # The preview's language does not change the editor's own language.
    index = client.get("/staff/policy/?lang=en")
    client.get(base + "?locale=zh_CN")
    assert '<html lang="en"' in client.get("/staff/policy/").get_data(as_text=True)
    assert index.status_code == 200


def test_the_diff_shows_changed_fields_side_by_side_and_unified(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{SLOT}"
    data = _slot_form(client, drafts["draft"])
    data["hint_en"] = data["hint_en"].replace("the failure", "the platform-side failure")
    data["review_working_days"] = "2"
    client.post(url, data=data)
    diff_url = f"/staff/policy/versions/{drafts['draft']}/diff?lang=en"
    side = client.get(diff_url).get_data(as_text=True)
    assert "Game card › Item not received › Hint" in side
    assert "<ins>platform-side </ins>" in side
    assert "Review working days" in side
    unified = client.get(diff_url + "&view=unified").get_data(as_text=True)
    assert 'class="pe-add">+' in unified and 'class="pe-del">-' in unified


def test_publish_then_rollback_through_the_pages(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{SLOT}"
    data = _slot_form(client, drafts["draft"])
    data["hint_en"] = "Published hint"
    client.post(url, data=data)
    response = client.post(f"/staff/policy/versions/{drafts['draft']}/publish", data={"note": "new hint"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/policy/history")
    history = client.get("/staff/policy/history?lang=en").get_data(as_text=True)
    assert "new hint" in history and "政策编辑 陈编辑" in history
    assert f"Restore version {drafts['published']}" in history
    # The published draft is read-only now.
    again = client.post(url, data=data)
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/versions/{drafts['draft']}")
    response = client.post(f"/staff/policy/versions/{drafts['published']}/rollback", headers=htmx_headers())
    assert response.headers["HX-Redirect"].endswith("/staff/policy/history")
    with app.app_context():
        current = published_version()
        assert current.id not in (drafts["draft"], drafts["published"])
        assert current.texts["en"]["game_card"]["not_received"]["hint"] != "Published hint"


def test_general_numbers_in_yuan(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/general"
    page = client.get(url).get_data(as_text=True)
    assert 'value="500.00"' in page
    data = dict(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', page, re.S))
    data = {k: _unescape(v) for k, v in data.items()}
    data["coalesce_seconds"] = "120"
    bad = client.post(url, data={**data, "green_channel_yuan": "1.234", "review_working_days": "3"})
    assert bad.status_code == 422 and 'value="1.234"' in bad.get_data(as_text=True)
    ok = client.post(url, data={**data, "green_channel_yuan": "800.5", "review_working_days": "2"})
    assert ok.status_code == 303
    with app.app_context():
        draft = _db.session.get(PolicyVersion, drafts["draft"])
        assert draft.rules["green_channel_fen"] == 80050


STAFF_MARKDOWN = (
    "<script>alert(1)</script>\n\n"
    '<img src=x onerror="alert(2)">\n\n'
    "[click me](javascript:alert(3))\n\n"
    '<iframe src="https://evil.example"></iframe>\n\n'
    "**still bold**"
)


def _assert_neutralised(body: str) -> None:
    hint = re.search(r'<div class="policy-text">(.*?)</div>', body, re.S).group(1)
    assert "<script" not in hint and "<iframe" not in hint and "<img" not in hint
    # The link survives only as inert text: no element carries a javascript: URL.
    assert not re.search(r"<[^>]+=\s*[\"']?\s*javascript:", hint, re.I)
    assert not re.search(r"<[^>]+\sonerror\s*=", hint, re.I)
    assert "<strong>still bold</strong>" in hint


def _game_card_order_id(app) -> int:
    with app.app_context():
        return _db.session.scalar(
            select(Order.id)
            .where(Order.category == Category.GAME_CARD, Order.delivery_status == DeliveryStatus.SYSTEM_FAULT)
            .order_by(Order.id)
        )


def test_hostile_markdown_is_neutralised_in_the_preview_and_on_the_customer_page(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{SLOT}"
    data = _slot_form(client, drafts["draft"])
    data["hint_zh_CN"] = data["hint_en"] = STAFF_MARKDOWN
    assert client.post(url, data=data).status_code == 303
    for locale in ("zh_CN", "en"):
        preview = client.get(f"/staff/policy/versions/{drafts['draft']}/preview/{SLOT}?locale={locale}")
        _assert_neutralised(preview.get_data(as_text=True))
    client.post(f"/staff/policy/versions/{drafts['draft']}/publish", data={})
    customer = app.test_client()
    sign_in_customer(customer, app)
    page = customer.get(f"/orders/{_game_card_order_id(app)}/refund?refund_type=not_received&lang=en")
    assert page.status_code == 200
    _assert_neutralised(page.get_data(as_text=True))


def test_customers_never_see_a_draft(app, client, drafts):
    sign_in_staff(client, app, "editor")
    url = f"/staff/policy/versions/{drafts['draft']}/slots/{SLOT}"
    data = _slot_form(client, drafts["draft"])
    data["hint_en"] = "Draft-only hint"
    client.post(url, data=data)
    customer = app.test_client()
    sign_in_customer(customer, app)
    page = customer.get(f"/orders/{_game_card_order_id(app)}/refund?refund_type=not_received&lang=en")
    assert page.status_code == 200 and "policy-hint" in page.get_data(as_text=True)
    assert "Draft-only hint" not in page.get_data(as_text=True)
    client.post(f"/staff/policy/versions/{drafts['draft']}/publish", data={})
    page = customer.get(f"/orders/{_game_card_order_id(app)}/refund?refund_type=not_received&lang=en")
    assert "Draft-only hint" in page.get_data(as_text=True)


def test_the_general_page_shows_and_edits_which_news_reaches_the_phone(app, client, drafts):
    sign_in_staff(client, app, "editor")
    page = client.get(f"/staff/policy/versions/{drafts['published']}/general?lang=en").get_data(as_text=True)
    assert "News sent to the phone (SMS, or an APP push)" in page
    assert re.search(r'<input[^>]*checked[^>]*id="phone_submitted"|id="phone_submitted"[^>]*checked', page)
    assert not re.search(r'id="phone_evidence_received"[^>]*checked', page)  # 站内信 only
    assert re.search(r'id="coalesce_seconds"[^>]*value="120"', page)
    zh = client.get(f"/staff/policy/versions/{drafts['published']}/general?lang=zh_CN").get_data(as_text=True)
    assert "发送到手机的通知（短信或APP推送）" in zh and "退款申请已提交" in zh

    url = f"/staff/policy/versions/{drafts['draft']}/general"
    page = client.get(url).get_data(as_text=True)
    data = dict(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', page, re.S))
    data = {k: _unescape(v) for k, v in data.items()}
    data.update(green_channel_yuan="500", review_working_days="3", phone_approved="y", phone_refunded="y")
    assert client.post(url, data={**data, "coalesce_seconds": "-1"}).status_code == 422
    assert client.post(url, data={**data, "coalesce_seconds": "60"}).status_code == 303
    with app.app_context():
        draft = _db.session.get(PolicyVersion, drafts["draft"])
        assert draft.rules["phone_news"] == {"events": ["approved", "refunded"], "coalesce_seconds": 60}
