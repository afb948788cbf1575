"""README's pictures from a real run: `python docs/screenshots.py` serves the app
(`brownian-panel` on a free loopback port), opens it in headless Chromium (Debian's, or
$BROWNIAN_CHROMIUM) at 1280 px and at 390 px (a phone), and writes docs/screenshot-desktop.png
and docs/screenshot-phone.png of a seeded run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent

#: A seeded run that fills the plots within seconds.
QUERY = "?period=100&batch=5&seed=7"

#: (file name, viewport width, height) of each picture.
SHOTS = [("screenshot-desktop.png", 1280, 900), ("screenshot-phone.png", 390, 844)]

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

#: Points the live plot holds before a picture is taken.
POINTS = 300


def take(browser, url: str, out_dir: Path) -> list[Path]:
    """Take every picture of ``SHOTS`` of the app at ``url`` with Playwright's ``browser``."""
    written = []
    for name, width, height in SHOTS:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      is_mobile=width < 600, has_touch=width < 600)
        try:
            page = context.new_page()
            page.goto(url + QUERY)
            page.wait_for_function(
                """(points) => window.Bokeh !== undefined && Bokeh.documents.length > 0
                && Bokeh.documents[0].get_model_by_name('path') !== null
                && Bokeh.documents[0].get_model_by_name('path').get_length() >= points""",
                arg=POINTS, timeout=30_000)
            page.locator(".pong").filter(has_text="connected").wait_for(timeout=10_000)
            path = out_dir / name
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
        finally:
            context.close()
    return written


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("BROWNIAN_CHROMIUM", "/usr/bin/chromium")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "brownian_panel", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("the app did not start")
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                for path in take(browser, f"http://127.0.0.1:{port}/brownian", DOCS):
                    print(f"wrote {path.relative_to(DOCS.parent)}")
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
