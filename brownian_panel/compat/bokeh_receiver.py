"""A page that reconnects reads its new connection from the first frame.

BokehJS's ``ClientConnection`` keeps one message ``Receiver`` for all its sockets. When a
connection dies in the middle of a message (its header frame read, the rest lost), the next
socket's frames are read as that message's rest: the new connection's ACK is lost and the page
waits, or closes every new socket ("First message was not an ACK"), until it is reloaded. Seen
at 10,000 points/s, where a cut often falls inside an update. At each ``connection_lost`` the
page gives the lost connection a fresh ``Receiver`` (the dead socket's partial message dropped)
before its next attempt, by the connection's private ``_receiver``.
"""

from __future__ import annotations

from .bokeh_repull import bokehjs_source
from .feature import Feature, expect

#: What BokehJS's connection and its connection_lost event look like where this was written.
_SHAPES = ("_receiver = new receiver_1.Receiver()", "this._receiver.consume(event.data)",
           "this.connection = connection;")


def _probe() -> None:
    source = bokehjs_source()
    for shape in _SHAPES:
        expect(shape in source, f"BokehJS's {shape!r}")


FRESH_RECEIVER = Feature(
    "fresh-receiver-on-reconnect",
    uses="BokehJS ClientConnection._receiver, replaced from a connection_lost callback",
    written_for="BokehJS 3.9.2 and 3.10.2",
    stands_in_for="BokehJS dropping a lost socket's partial message before reconnecting",
    fallback="BokehJS's reconnection as it is (a page cut inside a message may not come back "
             "until it reloads)",
    probe=_probe,
)

# In a connection_lost callback (cb_data: the event). Only while no new socket is open: a
# receiver that may hold the new connection's first frames is left alone.
_JS = """
const lost = cb_data.connection != null ? cb_data.connection.deref() : null;
if (lost != null && lost.socket == null) {
  if (lost._receiver != null && typeof lost._receiver.consume === "function") {
    lost._receiver = new lost._receiver.constructor();
  } else {
    console.warn("brownian_panel: BokehJS's connection has no _receiver to renew");
  }
}
"""


def fresh_receiver_js() -> str:
    """JavaScript for a ``connection_lost`` ``CustomJS``: the lost connection reads its next
    socket from a fresh message ``Receiver`` (empty when the feature is off)."""
    return _JS if FRESH_RECEIVER.on else ""
