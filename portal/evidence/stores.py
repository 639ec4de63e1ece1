"""The app's stores (evidence, payout proofs), built once per process from the settings."""

from flask import Flask, current_app

from portal.evidence.storage import AREAS, Storage, build_storage

_EXTENSION = "refund_storage"


def init_app(app: Flask) -> None:
    """Build the stores now, so that a wrong setting fails at start and not at the first upload."""
    app.extensions[_EXTENSION] = {area: build_storage(app.config, area) for area in AREAS}


def get(area: str = "evidence") -> Storage:
    """The current app's store for ``area`` (one client per process: building one costs milliseconds)."""
    return current_app.extensions[_EXTENSION][area]
