"""Staff-written policy texts: rendered from Markdown, sanitised, with the defaults as fallback."""

from types import SimpleNamespace

from portal.policy.defaults import DEFAULT_SUMMARIES, DEFAULT_TEXTS
from portal.policy.texts import category_summary, policy_texts, render_markdown


def test_markdown_basics():
    html = render_markdown("**Full refund**\n\n- one\n- two\n\n[Help](https://help.example.com/refund)")
    assert "<strong>Full refund</strong>" in html and "<li>one</li>" in html
    assert '<a href="https://help.example.com/refund" rel="noopener noreferrer">Help</a>' in html


def test_raw_html_scripts_and_handlers_never_survive():
    html = render_markdown('<script>alert(1)</script><img src=x onerror=alert(1)> <b onclick="x">b</b>')
    # Raw HTML is shown as text, never as markup.
    assert "<script" not in html and "<img" not in html and "<b " not in html
    assert "&lt;script&gt;" in html
    # And HTML that reached the sanitiser some other way loses what is not allowed.
    from portal.policy.texts import _cleaner

    assert _cleaner.clean('<b onclick="x">b</b><script>1</script><iframe src="x"></iframe>') == "<b>b</b>"


def test_only_http_https_and_mailto_links():
    html = render_markdown(
        "[a](javascript:alert(1)) [b](data:text/html,x) [c](/relative) [d](mailto:help@example.com) "
        "[e](vbscript:x) [f](http://example.com)"
    )
    assert "javascript:" not in html.split("[a]")[0] and 'href="javascript' not in html
    assert 'href="data' not in html and 'href="/relative"' not in html and 'href="vbscript' not in html
    assert 'href="mailto:help@example.com"' in html and 'href="http://example.com"' in html


def test_images_are_dropped():
    assert "<img" not in render_markdown("![tracker](https://evil.example.com/pixel.png)")


def test_empty_text_renders_nothing():
    assert render_markdown("") == "" and render_markdown("   ") == ""


def test_version_texts_win_and_defaults_fill_gaps():
    version = SimpleNamespace(
        texts={"en": {"game_card": {"not_received": {"hint": "Edited **hint**", "checklist": {}}}}}
    )
    texts = policy_texts(version, "en", "game_card", "not_received")
    assert texts.hint_html == "<p>Edited <strong>hint</strong></p>"
    default_item = DEFAULT_TEXTS["en"]["game_card"]["not_received"]["checklist"]["topup_failure_screenshot"]
    assert texts.describe("topup_failure_screenshot") == default_item
    fallback = policy_texts(version, "en", "game_card", "invalid")
    assert "redeemed" in fallback.hint_html


def test_missing_language_or_broken_json_falls_back():
    broken = SimpleNamespace(texts={"en": {"game_card": "oops"}})
    assert "top-up failure" in policy_texts(broken, "en", "game_card", "not_received").hint_html
    assert policy_texts(None, "fr", "game_card", "not_received").hint_html.startswith("<p><strong>适用情况")
    assert policy_texts(None, "en", "game_card", "no_such_type").hint_html == ""
    assert policy_texts(None, "en", "game_card", "no_such_type").describe("some_item") == "some item"


def test_category_summaries():
    assert category_summary(None, "en", "software") == DEFAULT_SUMMARIES["en"]["software"]
    assert category_summary(None, "fr", "software") == DEFAULT_SUMMARIES["zh_CN"]["software"]
    edited = SimpleNamespace(texts={"_summaries": {"zh_CN": {"software": "新的说明"}}})
    assert category_summary(edited, "zh_CN", "software") == "新的说明"
    assert category_summary(edited, "en", "software") == DEFAULT_SUMMARIES["en"]["software"]
