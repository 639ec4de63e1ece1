"""WTForms' own messages come in the request's language, from catalogues read once per language."""

from portal.i18n import _form_catalogue


def test_a_form_message_is_in_the_request_language(client, customer):
    _form_catalogue.cache_clear()
    # A date that is not a date: WTForms' own message, in Chinese, then in English.
    zh = client.get("/orders?date_from=2026-13-45&lang=zh_CN").get_data(as_text=True)
    en = client.get("/orders?date_from=2026-13-45&lang=en").get_data(as_text=True)
    assert "Not a valid date value" in en and "Not a valid date value" not in zh
    assert _form_catalogue.cache_info().currsize == 2
    client.get("/orders?date_from=2026-13-45&lang=zh_CN")
    assert _form_catalogue.cache_info().currsize == 2 and _form_catalogue.cache_info().hits >= 1
