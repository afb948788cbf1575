"""Who can reach the server: loopback by default, localhost origins, Panel's basic auth."""

from __future__ import annotations

import asyncio
import http.cookiejar
import urllib.parse
import urllib.request
from urllib.parse import urlsplit

import pytest
from bokeh.util.token import generate_jwt_token, generate_session_id
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from ..conftest import PYTHON


def _serve(*flags: str):
    return lambda port: [PYTHON, "-m", "brownian_panel", "--port", str(port), *flags]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port_hex = local.split(":")
                if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                    addresses.add(address)
    return addresses


def _websocket(base: str, origin: str, headers: dict | None = None) -> str:
    """Open the app's WebSocket with the given Origin: "accepted" or "refused <status>"."""
    async def connect() -> str:
        request = HTTPRequest(f"ws://{urlsplit(base).netloc}/brownian/ws",
                              headers={"Origin": origin, **(headers or {})})
        token = generate_jwt_token(generate_session_id())
        try:
            connection = await websocket_connect(request, subprotocols=["bokeh", token])
        except HTTPClientError as error:
            return f"refused {error.code}"
        connection.close()
        return "accepted"

    return asyncio.run(connect())


def test_default_server_listens_on_loopback_only(start_process):
    base = start_process(_serve())
    # 0100007F is 127.0.0.1 in /proc's byte order; no 0.0.0.0 or IPv6 wildcard.
    assert _listening_addresses(urlsplit(base).port) == {"0100007F"}


def test_websocket_origins_other_than_localhost_are_refused(start_process):
    base = start_process(_serve())
    port = urlsplit(base).port
    assert _websocket(base, f"http://localhost:{port}") == "accepted"
    assert _websocket(base, f"http://127.0.0.1:{port}") == "accepted"
    assert _websocket(base, "http://evil.example") == "refused 403"
    assert _websocket(base, f"http://evil.example:{port}") == "refused 403"


def test_allow_websocket_origin_opens_it_to_a_named_host(start_process):
    base = start_process(_serve("--allow-websocket-origin", "dashboard.example"))
    assert _websocket(base, "http://dashboard.example") == "accepted"
    assert _websocket(base, "http://evil.example") == "refused 403"


def _login(base: str, password: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/brownian")  # sets the next_url cookie, shows the login form
    form = urllib.parse.urlencode({"username": "viewer", "password": password}).encode()
    response = opener.open(f"{base}/login", form)
    return opener, response.url


@pytest.fixture
def protected(start_process):
    return start_process(_serve("--basic-auth", "correct horse", "--cookie-secret", "s" * 32))


def test_basic_auth_refuses_a_wrong_password(protected):
    opener, landed = _login(protected, "wrong")
    assert "/login?error=" in landed
    page = opener.open(f"{protected}/brownian")
    assert urlsplit(page.url).path == "/login"
    assert "Brownian motion" not in page.read().decode()


def test_basic_auth_serves_the_app_with_the_right_password(protected):
    opener, landed = _login(protected, "correct horse")
    assert urlsplit(landed).path == "/brownian"
    assert "<title>Brownian motion</title>" in opener.open(f"{protected}/brownian").read().decode()


def test_basic_auth_refuses_a_websocket_without_the_login_cookie(protected):
    port = urlsplit(protected).port
    assert _websocket(protected, f"http://localhost:{port}").startswith("refused")
