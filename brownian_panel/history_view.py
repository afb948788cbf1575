"""The History plot: every point since the last reset, decimated on the server to the pixels.

``HistoryView`` appends each update's values to a ``History`` (the min/max pyramid) and shows
``History.view`` of the visible x-range in the ``ColumnDataSource(name="history")``: at most two
points a pixel, each bucket's true min and max. With the whole history in view it follows new
points at the app's update rate; a zoom or pan (Bokeh's ``RangesUpdate``) re-decimates the
visible range, and the reset tool returns to the whole history. Refreshes are coalesced: while
one is queued, newer requests only change what it will read, so only the latest is answered.

In a server session a refresh runs on the server's event loop outside the document lock and
is written straight to the session's sockets (``wire.write_data``, as the live stream is), so a
client that stops reading never leaves the document locked on a blocked write. Refreshes that
follow new points come at most every ``MIN_INTERVAL`` seconds (a zoom is answered at once);
none is written while the client leaves more than ``MAX_UNREAD_BYTES`` unread or the session is
busy (then it is retried).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import param
from bokeh.document import Document
from bokeh.events import RangesUpdate, Reset
from bokeh.models import ColumnDataSource, Div
from tornado.ioloop import IOLoop

from .history import History
from .model import BrownianMotion
from .owned_source import refuse_client_writes
from .plot import history_figure
from .wire import can_write_now, pending_bytes, write_data, write_property

log = logging.getLogger(__name__)

#: Plot width assumed until the browser reports the real one.
DEFAULT_PIXELS = 1000

#: Seconds between two refreshes that follow new points. Each refresh resends the whole view:
#: at 0.1 s the History plot added about 0.32 ms of server CPU per session-update to the live
#: stream's 0.2 ms (20 sessions at 10 Hz, 2 cores), at 0.25 s about 0.16 ms (docs/history.md).
MIN_INTERVAL = 0.25

#: Seconds between two updates of the status line while points arrive.
STATUS_INTERVAL = 1.0

#: A client that leaves more than this unread gets no refresh until it catches up (the same
#: limit as the live stream's, so neither starves the other).
MAX_UNREAD_BYTES = 2 * 2**20


class HistoryView:
    """The History plot of one model: its pyramid, decimated source, figure and status line."""

    def __init__(self, model: BrownianMotion, doc: Document | None = None):
        self.model = model
        #: The server session's document, or None (a notebook, plain Python).
        self._doc = doc
        #: The server's event loop, which runs the session's refreshes.
        self._loop = IOLoop.current() if doc is not None else None
        self.history = History(capacity=model.history)
        self.source = refuse_client_writes(ColumnDataSource(data={"x": [], "y": []},
                                                            name="history"))
        self.figure = history_figure(self.source)
        self.status = Div(text="", name="history-status", styles={"font-size": "90%"})
        #: Visible index range [start, stop), or None to follow the whole history.
        self._range: tuple[float, float] | None = None
        #: The queued refresh (an IOLoop timeout handle) and whether it answers a zoom.
        self._queued: object | None = None
        self._queued_urgent = False
        self._released = False
        self._last_refresh = 0.0
        self._status_at = -STATUS_INTERVAL
        self.refreshes = 0
        self.figure.on_event(RangesUpdate, self._on_ranges)
        self.figure.on_event(Reset, self._on_reset)
        self._watchers = [model.param.watch(self._on_capacity, "history"),
                          model.param.watch(self._on_run, "run")]

    def append(self, y: np.ndarray) -> None:
        """Add an update's values (the next steps) and refresh if the view follows them."""
        self.history.append(y)
        if self._range is None:
            self.request_refresh()

    def request_refresh(self, urgent: bool = False) -> None:
        """Refresh the decimated source now (no session) or once, soon, on the server's loop: at
        once if ``urgent`` (a zoom), else no sooner than ``MIN_INTERVAL`` after the last one."""
        if self._doc is None:
            self.refresh()
            return
        if self._released:
            return
        if self._queued is not None:
            if not urgent or self._queued_urgent:
                return
            self._loop.remove_timeout(self._queued)
        wait = 0.0 if urgent else self._last_refresh + MIN_INTERVAL - time.monotonic()
        self._queued = self._loop.call_later(max(wait, 0.0), self._queued_refresh)
        self._queued_urgent = urgent

    def _queued_refresh(self) -> None:
        self._queued = None
        if self._released:
            return
        if pending_bytes(self._doc) > MAX_UNREAD_BYTES or not can_write_now(self._doc):
            self._queued = self._loop.call_later(MIN_INTERVAL, self._queued_refresh)
            self._queued_urgent = False
            return
        try:
            self.refresh()
        except Exception:
            log.exception("history refresh failed; the next update tries again")

    def refresh(self) -> None:
        """Decimate the visible range (or the whole history) into the source."""
        history = self.history
        if len(history) == 0:
            data = {"x": np.empty(0), "y": np.empty(0)}
        else:
            start, stop = self._range if self._range is not None else (None, None)
            index, values = history.view(start, stop, self.pixels)
            data = {"x": index + 1.0, "y": values}
        if self._doc is None:
            self.source.data = data
        else:
            write_data(self._doc, self.source, data)
        self.refreshes += 1
        self._last_refresh = time.monotonic()
        self._show_status()

    @property
    def pixels(self) -> int:
        """Width of the plotting area in pixels, as the browser reports it."""
        try:
            width = self.figure.inner_width
        except ValueError:  # not reported yet (Bokeh raises UnsetValueError)
            width = None
        return int(min(max(width, 100), 8000)) if width else DEFAULT_PIXELS

    def release(self) -> None:
        self._released = True
        if self._queued is not None:
            self._loop.remove_timeout(self._queued)
            self._queued = None
        for watcher in self._watchers:
            self.model.param.unwatch(watcher)
        self._watchers = []
        self.history.clear()

    def _show_status(self) -> None:
        # At most once a second while points arrive: each change is one more message.
        history, now = self.history, time.monotonic()
        if len(history) and now < self._status_at + STATUS_INTERVAL and self._range is None:
            return
        text = f"History: {len(history):,} points since the reset"
        if history.dropped:
            text += (f"; the oldest {history.dropped:,} were dropped (history limit "
                     f"{history.capacity:,})")
        if self.status.text != text:
            if self._doc is None:
                self.status.text = text
            else:
                write_property(self._doc, self.status, "text", text)
            self._status_at = now

    def _on_ranges(self, event: RangesUpdate) -> None:
        if event.x0 is None or event.x1 is None:
            return
        start, stop = event.x0 - 1, event.x1  # x = index + 1
        whole = start <= self.history.start and stop >= self.history.stop
        self._range = None if whole else (start, stop)
        self.request_refresh(urgent=True)

    def _on_reset(self, event: Reset) -> None:
        self._range = None
        self.request_refresh(urgent=True)

    def _on_capacity(self, event: param.parameterized.Event) -> None:
        self.history.set_capacity(event.new)
        self.request_refresh()

    def _on_run(self, event: param.parameterized.Event) -> None:
        self.history.clear()
        self._range = None
        self.request_refresh(urgent=True)
