"""Bokeh's server leaves Nagle's algorithm on for its WebSockets.

Run: python bokeh_nagle.py   -> prints TCP_NODELAY of the server side of a session's WebSocket
(0 on Bokeh 3.9.2 and 3.10.2: small messages may wait ~40 ms for the previous one's ACK).
"""
import socket
import time

from bokeh.client import pull_session
from bokeh.models import Div
from bokeh.server.server import Server


def app(doc):
    doc.add_root(Div(text="hello"))


server = Server({"/": app}, port=0, address="127.0.0.1")
server.start()
port = server.port
holder = {}


def connect():
    holder["session"] = pull_session(url=f"http://127.0.0.1:{port}/", io_loop=None)


import threading  # noqa: E402

threading.Thread(target=connect, daemon=True).start()


def check():
    sessions = server.get_sessions("/")
    if not sessions:
        server.io_loop.call_later(0.1, check)
        return
    [connection] = list(sessions[0]._subscribed_connections)
    sock = connection._socket.ws_connection.stream.socket
    print("TCP_NODELAY on the server's WebSocket:",
          sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    server.io_loop.stop()


server.io_loop.call_later(0.5, check)
started = time.monotonic()
server.io_loop.start()
