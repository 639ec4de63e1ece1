"""Fixtures for 联系客服 and the service desk: two signed-in customers, staff by role (shared world)."""

import io

import pytest
from PIL import Image

from tests.conftest import FreshRequestClient
from tests.factories import OTHER_PHONE, PHONE, sign_in_customer, sign_in_staff


def _new_client(app):
    return FreshRequestClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def alice(app, world):
    """The demo customer (A), signed in."""
    client = _new_client(app)
    sign_in_customer(client, app, PHONE)
    return client


@pytest.fixture
def bob(app, world):
    """Another demo customer (B), signed in."""
    client = _new_client(app)
    sign_in_customer(client, app, OTHER_PHONE)
    return client


@pytest.fixture
def staff(app, world):
    """Factory: a client signed in as the named demo staff member (reviewer, senior, editor, admin)."""

    def make(username: str):
        client = _new_client(app)
        sign_in_staff(client, app, username)
        return client

    return make


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()
