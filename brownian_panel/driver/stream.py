"""The streaming driver: moves new points from a model into a Bokeh ``ColumnDataSource``.

Design notes: docs/architecture.md, "driver/stream.py".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import param
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from panel.io.callbacks import PeriodicCallback

from ..compat import refuse_client_writes
from ..model.ensemble import QUANTILES, quantile_columns
from ..model.walk import BrownianMotion
from ..notebook import NotebookLink
from ..runtime.session import server_loop, server_session_document
from ..runtime.ticker import Ticker, ticker_for
from .gate import Write, decide
from .wire import JSON_LIMIT, one_write, pending_bytes, write_stream

log = logging.getLogger(__name__)


#: Up to ``JSON_LIMIT`` points an update goes as JSON numbers; the source's columns are then
#: Python lists (about 4x the memory of float64 arrays, bounded by the window).
JSON_BATCH_LIMIT = JSON_LIMIT


#: Up to this many paths the live plot draws each as a line (columns y, y1, y2, ...); beyond
#: it the quantile bands across paths (columns y = median, q05, q25, q75, q95).
LINE_PATHS = 5


def path_column_names(paths: int) -> list[str]:
    """The live source's value columns for ``paths`` paths (x not included)."""
    if paths == 1:
        return ["y"]
    if paths <= LINE_PATHS:
        return ["y", *(f"y{index}" for index in range(1, paths))]
    return list(QUANTILES)


def path_columns(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The live source's columns of one update: ``y`` of shape (steps,) or (paths, steps)."""
    if y.ndim == 1:
        return {"x": x, "y": y}
    if len(y) <= LINE_PATHS:
        return {"x": x, **dict(zip(path_column_names(len(y)), y, strict=True))}
    return {"x": x, **quantile_columns(y)}


def _empty_path(paths: int = 1, timestamps: bool = False) -> dict[str, list[float]]:
    data = {name: [] for name in ["x", *path_column_names(paths)]}
    if timestamps:
        data["t"] = []
    return data


class PathStream(param.Parameterized):
    """Streams a ``BrownianMotion`` into a ``ColumnDataSource`` on a periodic callback."""

    model = param.ClassSelector(class_=BrownianMotion, constant=True, doc="""
        The model whose new points are streamed.""")

    source = param.ClassSelector(class_=ColumnDataSource, constant=True, doc="""
        The data source the plot draws, with columns x (step) and y (position); made (named
        "path") if none is given.""")

    timestamps = param.Boolean(default=False, constant=True, doc="""
        Add a column t: the server's clock (ms since the epoch) when each point was streamed,
        so a client can measure how long updates take to arrive. Costs 8 bytes a point.""")

    def __init__(self, model: BrownianMotion, **params):
        if params.get("source") is None:
            params["source"] = ColumnDataSource(
                data=_empty_path(model.paths, params.get("timestamps", False)), name="path")
        super().__init__(model=model, **params)
        refuse_client_writes(self.source)
        #: The server session's document, or None in a notebook or plain Python.
        self._doc: Document | None = server_session_document()
        #: Outside a server session: streams into the source and keeps a notebook view exact.
        self._notebook = NotebookLink(self.source) if self._doc is None else None
        #: Panel's callback (notebook), or the shared ticker and period (server session).
        self._callback: PeriodicCallback | tuple[Ticker, int] | None = None
        #: Updates handed to the document lock and not yet streamed (server session).
        self._queued = 0
        #: Called with each update's new points (x, and y as ``advance`` returns it) before
        #: they are streamed.
        self._listeners: list[Callable[[np.ndarray, np.ndarray], None]] = []
        #: Number of updates streamed since the driver was created.
        self.updates = 0
        #: Ticks skipped in a row so far because the client is not reading (server session).
        self.held_back = 0
        self._watchers = [
            model.param.watch(self._reschedule, "period"),
            model.param.watch(self._clear, "run"),
        ]

    @property
    def running(self) -> bool:
        """True while the periodic callback is scheduled."""
        return self._callback is not None

    def start(self) -> None:
        """Schedule the periodic callback (no-op if already running)."""
        if self._callback is not None:
            return
        if self._doc is not None:
            ticker, period = ticker_for(server_loop(self._doc)), self.model.period
            ticker.add(self, period)
            self._callback = (ticker, period)
        else:
            # Notebook or plain Python: Panel's callback on the running asyncio loop.
            self._callback = PeriodicCallback(
                callback=self.tick, period=self.model.period, log=False, background=True,
            )
            self._callback.start()

    def stop(self) -> None:
        """Stop the periodic callback; the points already streamed stay in the source."""
        callback, self._callback = self._callback, None
        if isinstance(callback, PeriodicCallback):
            callback.stop()
        elif callback is not None:
            ticker, period = callback
            ticker.remove(self, period)

    def release(self) -> None:
        """Stop for good: stop the callback, stop following the model, drop the points."""
        self.stop()
        for watcher in self._watchers:
            self.model.param.unwatch(watcher)
        self._watchers = []
        self._clear()

    def tick(self) -> None:
        """Stream one update unless the model is paused.

        An error while drawing or streaming is logged and the next tick tries again, so one bad
        update never silently ends the stream.
        """
        if self.model.paused:
            return
        if self._queued:
            return  # an update already waits for the busy session: the walk waits too
        write = decide(self._doc)
        if write is Write.BEHIND:
            if not self.held_back:
                log.warning("client is not reading (%d bytes unread): updates held back until "
                            "it catches up", pending_bytes(self._doc))
            self.held_back += 1
            return
        if self.held_back:
            log.info("client caught up; updates resume after %d held back", self.held_back)
            self.held_back = 0
        if write is Write.LOCKED:
            self._queued += 1
            self._doc.add_next_tick_callback(self._locked_tick)
            return
        self._stream()

    def _locked_tick(self) -> None:
        self._queued -= 1
        if not self.model.paused and self._callback is not None:
            self._stream(locked=True)

    def _stream(self, locked: bool = False) -> None:
        try:
            if self._doc is not None and not locked:
                with one_write(self._doc):  # the refreshes the update makes due ride along
                    self._advance_and_send(locked)
            else:
                self._advance_and_send(locked)
        except Exception:
            log.exception("update %d failed; the stream continues on the next tick",
                          self.updates + 1)
            return
        self.updates += 1

    def _advance_and_send(self, locked: bool) -> None:
        x, y = self.model.advance()
        for listener in self._listeners:
            listener(x, y)
        data = path_columns(x, y)
        if len(x) <= JSON_BATCH_LIMIT:
            data = {name: column.tolist() for name, column in data.items()}
        if self.timestamps:
            now = time.time() * 1000
            data["t"] = [now] * len(x) if isinstance(data["x"], list) else np.full(len(x), now)
        if self._notebook is not None:
            self._notebook.stream(data, rollover=self.model.window)
        elif locked:
            self.source.stream(data, rollover=self.model.window)
        else:
            write_stream(self._doc, self.source, data, rollover=self.model.window)

    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """The points the source holds now (the last ``window`` points), as float arrays: the
        first path's, or the median's beyond ``LINE_PATHS`` paths."""
        data = self.source.data
        return np.asarray(data["x"], dtype=np.float64), np.asarray(data["y"], dtype=np.float64)

    def add_listener(self, listener: Callable[[np.ndarray, np.ndarray], None]) -> None:
        """Call ``listener(x, y)`` with each update's new points, before they are streamed."""
        self._listeners.append(listener)

    def notebook_view_ready(self) -> None:
        """In a notebook: the browser has built the plot's view (see ``notebook.ViewReady``)."""
        if self._notebook is not None:
            self._notebook.view_ready()

    def _reschedule(self, event: param.parameterized.Event) -> None:
        if self._callback is not None:
            self.stop()
            self.start()

    def _clear(self, event: param.parameterized.Event | None = None) -> None:
        self.source.data = _empty_path(self.model.paths, self.timestamps)
        if self._notebook is not None:
            self._notebook.push()
