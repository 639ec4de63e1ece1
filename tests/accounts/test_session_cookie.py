"""The session cookie is signed as Flask signs it (the serializer is only made once): cookies of either kind
load in the other, a rotated key still opens old cookies, and a changed key is noticed."""

from flask.sessions import SecureCookieSessionInterface

from portal.accounts.cookie import SessionCookies


def test_same_cookie_as_flask(app):
    ours, flasks = SessionCookies(), SecureCookieSessionInterface()
    data = {"_user_id": 7, "lang": "en"}
    assert ours.get_signing_serializer(app).dumps(data).count(".") == 2
    assert flasks.get_signing_serializer(app).loads(ours.get_signing_serializer(app).dumps(data)) == data
    assert ours.get_signing_serializer(app).loads(flasks.get_signing_serializer(app).dumps(data)) == data


def test_a_rotated_key_still_opens_old_cookies_and_a_changed_key_is_noticed(app):
    ours = SessionCookies()
    old = ours.get_signing_serializer(app).dumps({"a": 1})
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = app.config["SECRET_KEY"] = "a-new-key-for-this-test"
    serializer = ours.get_signing_serializer(app)
    assert serializer.loads(old) == {"a": 1}
    new = serializer.dumps({"b": 2})
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert ours.get_signing_serializer(app).loads(new) == {"b": 2}
    assert ours.get_signing_serializer(app).loads_unsafe(old)[0] is False  # the old key is gone
