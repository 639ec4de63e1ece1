"""What the signed session cookie holds besides Flask-Login's sign-in id."""

SEEN = "seen"  # when this browser last asked for something (epoch seconds)
SEEN_GRANULARITY = 60  # seconds: the cookie is rewritten at most once a minute
SIGN_IN_ID = "_user_id"  # Flask-Login's key: the server-side session (LoginSession.id)
