"""The catalogues: every string has its Chinese, with full-width punctuation; no English one is fuzzy."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
CJK = re.compile("[\u4e00-\u9fff]")
# ASCII punctuation that Chinese text may keep: placeholders, markup, URLs, clock times, Markdown links.
NOT_PROSE = re.compile(
    r"%\([a-z_0-9]+\)[sd]|%[sd]|\{[a-z_0-9]+\}|https?://\S+|<[^>]+>|\d+:\d+|\[[^\]]*\]\([^)]*\)"
)
HALF_WIDTH = re.compile(r"[,;:?!()]")


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def half_width_in_chinese(text: str) -> list[str]:
    """The ASCII punctuation marks in Chinese prose (a line with no Chinese is left alone)."""
    if not CJK.search(text):
        return []
    return HALF_WIDTH.findall(NOT_PROSE.sub("", text))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("全额退款: 最多 %(amount)s", [":"]),
        ("问题?", ["?"]),
        ("请上传截图(必填)", ["(", ")"]),
        ("全额退款：最多 %(amount)s", []),
        ("预计 10:30 前到账（北京时间）", []),
        ("链接 [文字](https://example.com)。", []),
        ("Alipay (sandbox)", []),
    ],
)
def test_the_check_itself(text, found):
    assert half_width_in_chinese(text) == found


def test_every_chinese_string_uses_full_width_punctuation():
    offenders = [
        (message.id, text)
        for message in _catalogue("zh_CN")
        if message.id
        for text in _strings(message)
        if text and half_width_in_chinese(text)
    ]
    assert offenders == []


def test_every_string_has_a_chinese_translation():
    missing = [
        message.id
        for message in _catalogue("zh_CN")
        if message.id and (message.fuzzy or not all(_strings(message)))
    ]
    assert missing == []


def test_no_english_string_is_a_guess():
    # English is the source language: an empty msgstr shows the msgid, which is the English text; a fuzzy one
    # would show a machine's guess at a neighbouring string.
    assert [message.id for message in _catalogue("en") if message.id and message.fuzzy] == []
