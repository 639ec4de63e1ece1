"""WSGI entry point: `gunicorn wsgi:app`."""

from portal import create_app
from portal.ops import logs

app = create_app()
logs.configure(app.config["LOG_LEVEL"])
