"""Policy texts customers read: staff-written Markdown, rendered and sanitised, with the defaults as fallback.

Texts live in ``PolicyVersion.texts`` shaped like ``DEFAULT_TEXTS``: ``texts[lang][category][type]`` is
``{"hint": markdown, "checklist": {item_key: text}}``. Category summaries (one line per category, shown
on the order page) live under ``texts["_summaries"][lang][category]``, like ``DEFAULT_SUMMARIES``.
Anything missing falls back to the defaults, so a half-written draft never shows an empty page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from portal.policy.defaults import DEFAULT_SUMMARIES, DEFAULT_TEXTS

FALLBACK_LANG = "zh_CN"
SUMMARIES_KEY = "_summaries"
# What a policy text may contain: paragraphs, emphasis, lists, links, small headings, line breaks.
ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "code", "blockquote", "h3", "h4", "hr"}
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

# Raw HTML in the Markdown is escaped by the parser; the sanitiser is the second, independent wall
# (it also drops images: a policy text must not make the reader's phone fetch anything).
_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False})
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={"a": {"href", "title"}},
    url_schemes=set(LINK_SCHEMES),
    url_relative="deny",
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@dataclass(frozen=True)
class PolicyTexts:
    """The texts for one category × refund type in one language, ready for a template."""

    hint_html: Markup
    checklist: Mapping[str, str] = field(default_factory=dict)

    def describe(self, item_key: str) -> str:
        """The customer-facing description of a checklist item (its key when no text exists)."""
        return self.checklist.get(item_key) or item_key.replace("_", " ")


@lru_cache(maxsize=1024)
def render_markdown(text: str) -> Markup:
    """Render staff-written Markdown to safe HTML (allow-listed tags, http/https/mailto links only).

    Remembered per text: the same few hints are shown on every 退款进度 and wizard page (~0.3 ms each)."""
    if not text or not text.strip():
        return Markup("")
    html = _markdown.render(text)
    return Markup(_cleaner.clean(html).strip())  # noqa: S704 - the cleaner's output is safe by construction


def policy_texts(version: Any, lang: str, category: str, refund_type: str) -> PolicyTexts:
    """Hint (rendered) and checklist descriptions of a version, falling back to DEFAULT_TEXTS."""
    stored = _texts_entry(getattr(version, "texts", None) or {}, lang, category, refund_type)
    default = _texts_entry(DEFAULT_TEXTS, lang, category, refund_type)
    if not default and lang != FALLBACK_LANG:
        default = _texts_entry(DEFAULT_TEXTS, FALLBACK_LANG, category, refund_type)
    hint = stored.get("hint")
    if not isinstance(hint, str) or not hint.strip():
        hint = default.get("hint", "")
    checklist = {**_str_map(default.get("checklist")), **_str_map(stored.get("checklist"))}
    return PolicyTexts(hint_html=render_markdown(hint), checklist=checklist)


def category_summary(version: Any, lang: str, category: str) -> str:
    """The one-paragraph refund rule of a category, in plain words (the version's, else the default)."""
    stored = (getattr(version, "texts", None) or {}).get(SUMMARIES_KEY) or {}
    text = _str_map(stored.get(lang)).get(str(category))
    if text:
        return text
    defaults = DEFAULT_SUMMARIES.get(lang) or DEFAULT_SUMMARIES[FALLBACK_LANG]
    return defaults.get(str(category), "")


def _texts_entry(texts: Mapping[str, Any], lang: str, category: str, refund_type: str) -> Mapping[str, Any]:
    # Stored JSON is edited by people: tolerate missing or mistyped levels instead of failing the page.
    node: Any = texts
    for key in (lang, str(category), str(refund_type)):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}
