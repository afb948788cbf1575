"""The History plot: every point since the last reset, decimated on the server to the pixels.

Design notes: docs/architecture.md, "views/history.py".
"""

from __future__ import annotations

import time

import numpy as np
import param
from bokeh.document import Document
from bokeh.events import RangesUpdate, Reset
from bokeh.models import ColumnDataSource, Div

from ..compat import model_with_id, refuse_client_writes
from ..driver.refresher import Refresher, show
from ..driver.wire import FramesCache
from ..model.decimation import FollowingView
from ..model.record import Record
from .plot import add_envelope, history_figure

#: Plot width assumed until the browser reports the real one.
DEFAULT_PIXELS = 1000

#: Seconds between two refreshes that follow new points: none, they come with every update
#: (each sends only the view's changed tail, a few points; ``FollowingView``).
MIN_INTERVAL = 0.0

#: Seconds between two refreshes of a shared page's History (on the clock's multiples, so
#: every in-step viewer refreshes with the same update): each costs every viewer its own
#: decimation and Python-side copy, where an update of the live plot costs one encoding.
SHARED_INTERVAL = 0.25

#: While following, the envelope reaches at least this fraction of the range past the last
#: point (off the plot: its x-range follows the line only), so it is resent when the path grows
#: by that much, not with every update. Its end is a power of two past the first point, the
#: same for every page showing the same history.
ENVELOPE_LEAD = 0.25

#: Seconds between two updates of the status line while points arrive.
STATUS_INTERVAL = 1.0

#: Said on the status line while the History plot is zoomed.
ZOOMED_HINT = "zoomed in: the toolbar's reset (↻) follows the run again"

#: Points of the envelope across the visible range (plus the steps where the variance changed),
#: spaced quadratically, densest at the start where σ = sqrt(sum of variances) bends most.
ENVELOPE_POINTS = 64


def _no_envelope() -> dict[str, np.ndarray]:
    return {"x": np.empty(0), "sd": np.empty(0)}


def envelope_end(start: int, stop: int) -> int:
    """Where the following envelope ends: at least ``ENVELOPE_LEAD`` of the range past
    ``stop``, at a power of two past ``start`` (so every page resends it at the same step)."""
    reach = max(int(np.ceil((stop - start) * (1 + ENVELOPE_LEAD))), 1)
    return start + (1 << (reach - 1).bit_length())


class HistoryView:
    """The History plot of a record: its decimated source, figure and status line."""

    def __init__(self, record: Record, doc: Document | None = None, ids: str | None = None,
                 cache: FramesCache | None = None):
        """``ids``: a prefix for the ids of the models a refresh changes, and ``cache``: the
        frames of refreshes already encoded: pages that share both (the shared feed's viewers)
        write an in-step refresh encoded once."""
        self.model = record.model
        model = self.model
        #: The server session's document, or None (a notebook, plain Python).
        self._doc = doc
        self._cache = cache
        #: The pyramid shown (the record's: appended by whoever draws the model).
        self.history = record.history
        self.source = refuse_client_writes(model_with_id(
            ColumnDataSource, ids and f"{ids}-history", data={"x": [], "y": []}, name="history"))
        self.envelope = refuse_client_writes(model_with_id(
            ColumnDataSource, ids and f"{ids}-envelope", data=_no_envelope(), name="envelope"))
        self.figure = history_figure(self.source)
        self.bands = add_envelope(self.figure, self.envelope)
        self._bands_shown = True
        self._pixels = DEFAULT_PIXELS  # read once per change: a property read costs ~20 µs
        self.figure.on_change("inner_width", self._on_width)
        self.status = model_with_id(Div, ids and f"{ids}-history-status", text="",
                               name="history-status", styles={"font-size": "90%"})
        #: Visible index range [start, stop), or None to follow the whole history.
        self._range: tuple[float, float] | None = None
        #: What the zoomed view last sent was drawn for (None: following).
        self._zoomed_view: tuple | None = None
        self._following = FollowingView()
        #: (start, stop, variance changes) of the envelope last sent.
        self._envelope_span = (0, 0, 0)
        self._refresher = Refresher(self.refresh, doc,
                                    MIN_INTERVAL if cache is None else SHARED_INTERVAL,
                                    cache=cache)
        self._status_at = -STATUS_INTERVAL
        self._status_sent = ""  # the status line's text, as last written
        #: The dtype of the source's x column as last written (None: not written yet).
        self._x_type: type | None = None
        self.refreshes = 0
        self.figure.on_event(RangesUpdate, self._on_ranges)
        self.figure.on_event(Reset, self._on_reset)
        for band in self.bands:
            band.on_change("visible", self._on_band_visible)
        self._watchers = [model.param.watch(self._on_capacity, "history"),
                          model.param.watch(self._on_run, "run")]

    def on_update(self) -> None:
        """The record has new points: refresh if the view follows them."""
        if self._range is None:
            self.request_refresh()
        elif time.monotonic() >= self._status_at + STATUS_INTERVAL:
            self.request_refresh()  # zoomed: the view stays, the status line counts on

    def request_refresh(self, urgent: bool = False) -> None:
        """Refresh the decimated source now (no session) or once, soon, on the server's loop: at
        once if ``urgent`` (a zoom), else no sooner than ``MIN_INTERVAL`` after the last one."""
        self._refresher.request(urgent)

    def refresh(self) -> None:
        """Bring the source up to the visible range (or the whole history: only its changed
        tail), with the envelope over the same steps and the status line, in one message."""
        history = self.history
        data: dict = {}
        tails: dict = {}
        x_type = np.int32 if history.stop < 2**31 else np.float64  # x as int32 while it fits
        if self._range is None:
            self._zoomed_view = None
            start, stop = history.start, history.stop
            if self._x_type is not x_type:  # (a Bokeh property read costs more than this)
                self._following.forget()
            if self._cache is None:
                update = self._following.update(history, self.pixels)
            else:  # in-step pages of one history: decimated once for all
                state = ("following", self.model.run, start, stop, self.pixels,
                         self._following.state)
                update, after = self._cache.value(state, self._follow)
                self._following.state = after
            if update is not None:
                # x = index + 1 (step numbers, as in the export)
                columns = {"x": (update.index + 1).astype(x_type), "y": update.value}
                self._x_type = x_type
                if update.whole:
                    data[self.source] = columns
                else:
                    tails[self.source] = (update.replace, columns)
            envelope_due = (update is not None and update.whole) or self._envelope_lags(start, stop)
        else:
            self._following.forget()
            start, stop = self._range
            start, stop = max(start, history.start), min(stop, history.stop)
            view = (start, stop, self.pixels, self.model.run, self._bands_shown,
                    len(self.model.schedule.starts))
            envelope_due = view != self._zoomed_view  # else only the status line is due
            if envelope_due:
                index, values = (history.view(start, stop, self.pixels) if start < stop
                                 else (np.empty(0), np.empty(0)))
                data[self.source] = {"x": (index + 1).astype(x_type), "y": values}
                self._x_type = x_type
                self._zoomed_view = view
        shown = self._bands_shown
        envelope_sent = None
        if shown and envelope_due or not shown and len(self.envelope.data["x"]):
            # x = index + 1: the visible steps are start + 1 .. stop; following, the envelope
            # reaches ahead of the last point (off the plot), so it is resent only now and then.
            last = envelope_end(start, stop) if self._range is None else stop
            data[self.envelope] = (self._envelope(start + 1, last) if shown and start < stop
                                   else _no_envelope())
            self._envelope_span = (start, last, len(self.model.schedule.starts))
            envelope_sent = (shown, *self._envelope_span)
        status = self._status_text()
        if data or tails or status:
            key = None
            if self._range is None and self._cache is not None:  # in step with other pages?
                key = ("history", self.model.run, start, stop, self.pixels,
                       update and (update.whole, update.replace, self._following.width,
                                   int(update.index[0]) if len(update.index) else -1,
                                   len(update.index)),
                       str(x_type), envelope_sent, status)
            show(self._doc, data, [(self.status, "text", status)] if status else [], tails,
                 key=key)
        self.refreshes += 1

    def _follow(self):
        update = self._following.update(self.history, self.pixels)
        return update, self._following.state

    def _envelope_lags(self, start: int, stop: int) -> bool:
        """Whether the envelope sent ends before the last point, starts elsewhere or predates a
        variance change: it is resent only then, not with every update."""
        shown_start, shown_last, changes = self._envelope_span
        return (shown_start != start or changes != len(self.model.schedule.starts)
                or stop > shown_last)

    def _envelope(self, first: float, last: float) -> dict[str, np.ndarray]:
        """σ over the steps first..last, σ² the sum of increment variances (columns x, sd; the
        plot draws ±σ and ±2σ from sd in the browser)."""
        steps = first + (last - first) * np.linspace(0.0, 1.0, ENVELOPE_POINTS) ** 2
        starts = self.model.schedule.starts  # where the slope of σ² changes
        kinks = np.concatenate([starts - 1, starts])
        kinks = kinks[(kinks > first) & (kinks < last)]
        steps = np.unique(np.concatenate([steps, kinks]))
        return {"x": steps, "sd": np.sqrt(self.model.schedule.cumulative(steps))}

    @property
    def pixels(self) -> int:
        """Width of the plotting area in pixels, as the browser reports it."""
        return self._pixels

    def _on_width(self, attr: str, old: int | None, new: int | None) -> None:
        self._pixels = int(min(max(new, 100), 8000)) if new else DEFAULT_PIXELS
        self.request_refresh(urgent=True)

    def release(self) -> None:
        self._refresher.release()
        for watcher in self._watchers:
            self.model.param.unwatch(watcher)
        self._watchers = []

    def _status_text(self) -> str | None:
        """The status line if it is due and changed (at most once a second while points
        arrive: each change is one more message), else None."""
        history, now = self.history, time.monotonic()
        # Shared pages send it with each update: it costs no message of its own there (one
        # encoding serves every viewer), and every viewer ends on the same count.
        due = self._cache is not None or now >= self._status_at + STATUS_INTERVAL
        if len(history) and not due and self._range is None:
            return None
        text = f"History: {len(history):,} points since the reset"
        if history.dropped:
            text += (f"; the oldest {history.dropped:,} were dropped (history limit "
                     f"{history.capacity:,})")
        if self._range is not None:
            text += f" · {ZOOMED_HINT}"
        if self._status_sent == text:
            return None
        self._status_at = now
        self._status_sent = text
        return text

    def _on_band_visible(self, attr: str, old: bool, new: bool) -> None:
        self._bands_shown = any(band.visible for band in self.bands)
        if new:  # shown again: compute it for the current view
            self._envelope_span = (-1, -1, -1)
            self.request_refresh(urgent=True)

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
        self.request_refresh()  # the record has dropped what no longer fits

    def _on_run(self, event: param.parameterized.Event) -> None:
        self._range = None  # the record is cleared already
        self.request_refresh(urgent=True)
