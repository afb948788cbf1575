"""The liveness check: the browser pings the server, the server answers, the page shows it.

``PingPong`` is a small ``JSComponent``. Its browser side sends an increasing counter every
``interval`` ms over Bokeh's WebSocket (``model.send_msg``); the server echoes each well-formed
counter back (``_send_msg``), and the browser shows the last echoed counter and the round-trip
time. A malformed ping is logged and ignored.
"""

from __future__ import annotations

import logging

import param
from panel.custom import JSComponent

log = logging.getLogger(__name__)

#: Largest counter accepted: JavaScript integers are exact up to 2**53 - 1.
MAX_COUNTER = 2**53 - 1


def ping_counter(message: object) -> int | None:
    """The counter of a well-formed ping message ``{"ping": n}``, else None."""
    if not isinstance(message, dict) or set(message) != {"ping"}:
        return None
    counter = message["ping"]
    if isinstance(counter, bool) or not isinstance(counter, int):
        return None
    return counter if 0 <= counter <= MAX_COUNTER else None


class PingPong(JSComponent):
    """Shows ``connected · T ms round trip · pong N``, refreshed once per ``interval``."""

    interval = param.Integer(default=1000, bounds=(100, 60_000), constant=True, doc="""
        Time between two pings sent by the browser, in milliseconds.""")

    pongs = param.Integer(default=0, bounds=(0, None), constant=True, doc="""
        Number of pings answered by the server in this session.""")

    last_ping = param.Integer(default=None, allow_None=True, constant=True, doc="""
        Counter of the last ping answered by the server; None before the first.""")

    # Server-side bookkeeping only: not synced to the browser.
    _rename = {"pongs": None, "last_ping": None}

    # No ping while the page's connection is lost (BokehJS would log an error for each).
    _esm = """
    export function render({ model, el, view }) {
      const label = document.createElement("span");
      label.className = "pong";
      label.textContent = "connecting\u2026";
      el.appendChild(label);
      const sentAt = new Map();
      let counter = 0;
      let connected = true;
      const bokehDocument = view.model.document;
      bokehDocument?.on_event("connection_lost", () => {
        connected = false;
        label.textContent = "not connected";
      });
      bokehDocument?.on_event("client_reconnected", () => { connected = true; });
      const timer = setInterval(() => {
        if (!connected) return;
        sentAt.set(counter, performance.now());
        sentAt.delete(counter - 30);  // an unanswered ping is forgotten after 30 more
        model.send_msg({ ping: counter });
        counter += 1;
      }, model.interval);
      model.on("msg:custom", (msg) => {
        if (msg === null || typeof msg !== "object" || !sentAt.has(msg.pong)) return;
        const rtt = performance.now() - sentAt.get(msg.pong);
        sentAt.delete(msg.pong);
        label.textContent =
          `connected \u00b7 ${rtt.toFixed(1)} ms round trip \u00b7 pong ${msg.pong}`;
        label.dataset.pong = String(msg.pong);
        label.dataset.rtt = rtt.toFixed(3);
      });
      model.on("remove", () => clearInterval(timer));
    }
    """

    def _handle_msg(self, data: object) -> None:
        counter = ping_counter(data)
        if counter is None:
            log.warning("ignored malformed ping from client: %.100r", data)
            return
        with param.edit_constant(self):
            self.param.update(pongs=self.pongs + 1, last_ping=counter)
        self._send_msg({"pong": counter})
