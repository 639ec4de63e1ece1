"""The browser fixtures (live server, phone pages) for the embed browser tests in this folder."""

from tests.browser.conftest import browser, live_server, phone_page  # noqa: F401
