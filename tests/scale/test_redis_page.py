"""The whole shared page through Redis, in Chromium: a backend started late shows the same
History, statistics and export as the first one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..browser.conftest import browser, open_page  # noqa: F401  (the module's Chromium)
from ..browser.test_shared import HISTORY
from ..helpers import wait_until

pytestmark = pytest.mark.browser

HISTORY_TEXT = re.compile(r"^History: ([0-9,]+) points since the reset")


def _history_points(page) -> int:
    text = page.get_by_text(HISTORY_TEXT).inner_text()
    return int(HISTORY_TEXT.match(text).group(1).replace(",", ""))


def _csv(page) -> tuple[str, bytes]:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    with open(download.path(), "rb") as file:
        return download.suggested_filename, file.read()


def test_a_late_backend_shows_the_same_history_statistics_and_export(
        producer, shared_backend, open_page):  # noqa: F811
    first = open_page(shared_backend())
    wait_until(lambda: _history_points(first) >= 5_000, timeout=30)  # 500 points a second
    late_backend = shared_backend()
    late = open_page(late_backend)
    late_joiner = open_page(first.url)
    pages = (first, late, late_joiner)
    expect(late.get_by_text("1 viewer on this server")).to_be_visible(timeout=10_000)
    expect(first.get_by_text("2 viewers on this server")).to_be_visible(timeout=10_000)
    for page in pages:
        expect(page.get_by_text(re.compile(r"^σ² ≈ [0-9]"))).to_be_visible(timeout=10_000)
    late.get_by_role("button", name="Pause").click()
    for page in pages:
        expect(page.get_by_role("button", name="Resume")).to_be_visible(timeout=10_000)

    def settled():  # every page shows the same last update, twice in a row
        counts = {_history_points(page) for page in pages}
        first.wait_for_timeout(500)
        return len(counts) == 1 and counts == {_history_points(page) for page in pages} \
            and counts.pop()
    held = wait_until(settled, timeout=20)
    assert held >= 5_000
    for page in pages:  # the statistics follow within 2 s
        expect(page.get_by_text(re.compile(f"n = {held:,}\\)"))).to_be_visible(timeout=10_000)
    histories = [page.evaluate(HISTORY) for page in pages]
    assert 200 < len(histories[0]["x"]) < 4_000  # decimated to the plot's pixels
    assert held - 100 < histories[0]["x"][-1] <= held  # min/max buckets of the whole run
    assert histories[1] == histories[0] and histories[2] == histories[0]
    estimates = {page.get_by_text(re.compile(r"^σ² ≈")).inner_text() for page in pages}
    assert len(estimates) == 1
    files = [_csv(page) for page in pages]
    assert files[0][0] == f"brownian-run0-{held}-steps.csv"
    assert files[1] == files[0] and files[2] == files[0]  # one file, byte for byte
    lines = files[0][1].decode().splitlines()
    assert len(lines) == held + 2 and lines[2].startswith("1,")
    assert all(page.external_requests == [] for page in pages)
