"""A WebSocket closed after its session was destroyed closes quietly.

Bokeh's ``WSHandler.on_close`` (3.9.2 and 3.10.2) tells the connection's session that the
connection was lost (``connection.session.notify_connection_lost()``); when the server stops
with pages open it destroys the sessions first, the connection's session is then None, and the
property's ``assert`` puts a traceback in the log for every open page ("Uncaught exception GET
.../ws ... AssertionError"). The replacement logs Bokeh's own "WebSocket connection closed"
line and returns for such a connection; any other goes to Bokeh's ``on_close``. Seen on Bokeh
3.10.2 (a page open when ``panel serve`` got SIGTERM); a Bokeh whose ``on_close`` does not
notify the session does not need it.
"""

from __future__ import annotations

import inspect
import logging

from .feature import Feature, NotNeeded, expect

log = logging.getLogger("bokeh.server.views.ws")


def _bokeh_on_close():
    """Bokeh's own ``WSHandler.on_close`` (also once replaced)."""
    from bokeh.server.views.ws import WSHandler

    return getattr(WSHandler.on_close, "_bokeh_on_close", WSHandler.on_close)


def _probe() -> None:
    from bokeh.server.connection import ServerConnection

    source = inspect.getsource(_bokeh_on_close())
    if "notify_connection_lost" not in source:
        raise NotNeeded("Bokeh's on_close does not reach the connection's session")
    expect(isinstance(ServerConnection.__dict__.get("session"), property),
           "ServerConnection.session, a property")
    expect("_session" in inspect.getsource(ServerConnection.__init__),
           "ServerConnection._session")


CLOSE_AFTER_DESTROY = Feature(
    "quiet-close-after-session-destroyed",
    uses="bokeh.server.views.ws.WSHandler.on_close (replaced process-wide), "
         "ServerConnection._session",
    written_for="Bokeh 3.9.2 and 3.10.2",
    stands_in_for="Bokeh closing a connection whose session it has destroyed without a "
                  "traceback",
    fallback="Bokeh's on_close (a server stopped with pages open logs a traceback per page)",
    probe=_probe,
)


def close_quietly_after_session_destroyed() -> None:
    """Replace ``WSHandler.on_close`` where Bokeh needs it (idempotent)."""
    from bokeh.server.views.ws import WSHandler

    original = WSHandler.on_close
    if not CLOSE_AFTER_DESTROY.on or getattr(original, "_brownian_panel", False):
        return

    def on_close(self) -> None:
        connection = self.connection
        if connection is not None and connection._session is None:  # destroyed: stopping
            log.info("WebSocket connection closed: code=%s, reason=%r", self.close_code,
                     self.close_reason)
            return
        original(self)

    on_close._brownian_panel = True
    on_close._bokeh_on_close = original
    WSHandler.on_close = on_close
