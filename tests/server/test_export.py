"""The CSV export over HTTP: the session's exact history, its token only, streamed."""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
import socket
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

from ..conftest import PYTHON
from ..helpers import LiveClient, run_in_session, wait_until

FAST = {"period": "20", "batch": "5000", "window": "1000"}


def _link(served_app, app) -> str:
    """The Download CSV link's URL, from the page's HTML pane."""
    href = re.search(r'href="([^"]+)"', app.download.object).group(1)
    return served_app.url.rsplit("/", 1)[0] + href


def _download(url: str) -> tuple[dict, str]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return dict(response.headers), response.read().decode()


def _parse(text: str) -> tuple[dict, np.ndarray, np.ndarray]:
    header, names, body = text.split("\n", 2)
    assert names == "x,y"
    rows = np.array([line.split(",") for line in body.splitlines()])
    return json.loads(header[2:]), rows[:, 0].astype(np.int64), np.array(
        [float(value) for value in rows[:, 1]])


def _paused(served_app, app) -> np.ndarray:
    run_in_session(app, lambda: app.model.param.update(paused=True))
    return served_app.on_server_loop(app.history.history.values)


def test_each_session_downloads_its_own_exact_history(served_app):
    with LiveClient(served_app.url, {**FAST, "seed": "1"}), \
            LiveClient(served_app.url, {**FAST, "seed": "2"}):
        first, second = served_app.app(0), served_app.app(1)
        wait_until(lambda: min(first.model.steps, second.model.steps) >= 100_000, timeout=30)
        for app, seed in ((first, 1), (second, 2)):
            raw = _paused(served_app, app)
            headers, text = _download(_link(served_app, app))
            assert headers["Content-Type"].startswith("text/csv")
            assert headers["Content-Disposition"].startswith("attachment; filename=")
            assert headers.get("Transfer-Encoding") == "chunked"  # streamed, not one body
            header, x, y = _parse(text)
            assert header["seed"] == seed and header["points"] == len(raw)
            assert np.array_equal(x, np.arange(1, len(raw) + 1))
            assert y.tobytes() == raw.tobytes()
        assert _link(served_app, first) != _link(served_app, second)


def test_a_guessed_token_or_a_closed_sessions_token_gets_404(served_app):
    base = served_app.url.rsplit("/", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as guessed:
        _download(f"{base}/brownian-export/{secrets.token_urlsafe(32)}.csv")
    assert guessed.value.code == 404
    with LiveClient(served_app.url, FAST):
        app = served_app.app()
        link = _link(served_app, app)
        wait_until(lambda: app.model.steps > 0)
        assert _download(link)[1].startswith("# ")
    wait_until(lambda: not app.stream.running, timeout=10)  # the session ended
    with pytest.raises(urllib.error.HTTPError) as closed:
        _download(link)
    assert closed.value.code == 404


def test_the_export_streams_while_the_session_keeps_streaming(served_app):
    with LiveClient(served_app.url, {**FAST, "batch": "20000"}) as client:
        app = served_app.app()
        wait_until(lambda: app.model.steps >= 1_000_000, timeout=60)
        steps = app.model.steps
        started = time.monotonic()
        _headers, text = _download(_link(served_app, app))
        took = time.monotonic() - started
        header, x, y = _parse(text)
        assert header["points"] >= steps and x[-1] == header["points"]
        raw = _paused(served_app, app)
        assert y.tobytes() == raw[:len(y)].tobytes()
        print(f"\nexport of {len(y):,} points ({len(text) / 1e6:.1f} MB) in {took:.2f} s "
              "while streaming")
        assert client.points == 1000


@pytest.mark.parametrize("plugin", [True, False])
def test_the_served_script_offers_the_link_only_with_the_route(start_process, plugin):
    base = start_process(lambda port: [
        PYTHON, "-m", "panel", "serve", "apps/brownian.py", "--port", str(port),
        "--address", "127.0.0.1",
        *(["--plugins", "brownian_panel.export.route"] if plugin else [])])
    with LiveClient(f"{base}/brownian", {"seed": "5", "period": "50", "batch": "100"}) as client:
        wait_until(lambda: client.points >= 3, timeout=30)
        texts = [html.unescape(model.text) for model in client.session.document.models
                 if "Download CSV" in str(getattr(model, "text", ""))]
        assert len(texts) == 1
        if not plugin:
            assert "--plugins brownian_panel.export.route" in texts[0]
            assert "href" not in texts[0]
            return
        href = re.search(r'href="([^"]+)"', texts[0]).group(1)
        _headers, text = _download(base + href)
        header, x, y = _parse(text)
        assert header["seed"] == 5 and len(y) >= 300
        np.testing.assert_array_equal(np.asarray(client.source.data["y"])[:len(y)][:3], y[:3])


def test_a_client_that_leaves_mid_download_logs_one_info_line(served_app, caplog):
    caplog.set_level(logging.INFO, logger="brownian_panel")
    with LiveClient(served_app.url, {**FAST, "batch": "20000"}):
        app = served_app.app()
        wait_until(lambda: app.model.steps >= 1_000_000, timeout=60)
        link = urllib.parse.urlsplit(_link(served_app, app))
        with socket.create_connection((link.hostname, link.port)) as sock:
            sock.sendall(f"GET {link.path} HTTP/1.1\r\nHost: {link.netloc}\r\n\r\n".encode())
            assert sock.recv(65_536).startswith(b"HTTP/1.1 200")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The server meets the reset on its next chunk (the autouse fixture fails the test if
        # that is logged with a traceback).
        wait_until(lambda: any("ended by the client" in r.getMessage()
                               for r in caplog.records), timeout=20)
    ended = [r for r in caplog.records if "ended by the client" in r.getMessage()]
    assert len(ended) == 1 and ended[0].levelno == logging.INFO
