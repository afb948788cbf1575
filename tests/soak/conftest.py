"""The soak test drives a page in Chromium: reuse the browser fixtures."""
from ..browser.conftest import browser, open_page  # noqa: F401
