"""The one driver: moves new points (a model's or a shared feed's) into a page's live plot.

Design notes: docs/architecture.md, "driver/stream.py".
"""

from __future__ import annotations

import logging
import time

import numpy as np
import param
from bokeh.document import Document
from bokeh.models import ColumnDataSource

from ..compat import refuse_client_writes, send_stranded_writes, source_with_id
from ..feed.hub import SharedFeed
from ..model.ensemble import QUANTILES, quantile_columns
from ..model.record import Record
from ..model.walk import BrownianMotion
from ..notebook import NotebookLink
from ..runtime.session import (
    change_document,
    lock_ended,
    server_loop,
    server_session_document,
)
from .gate import Write, decide
from .points import FeedPoints, ModelPoints, Update
from .wire import (
    JSON_LIMIT,
    FramesCache,
    one_write,
    pending_bytes,
    write_changes,
    write_stream,
)

log = logging.getLogger(__name__)


#: Up to ``JSON_LIMIT`` points an update goes as JSON numbers; the source's columns are then
#: Python lists (about 4x the memory of float64 arrays, bounded by the window).
JSON_BATCH_LIMIT = JSON_LIMIT


#: Seconds after which a page that was behind is offered a feed's news again (if none came).
BEHIND_RETRY_S = 0.25

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
    """The one driver of a page: shows a point source's updates in the live plot's source and
    tells the page's views (History, statistics, ...) after each one.

    The points come from the session's own model (drawn every ``model.period`` ms, appended to
    ``record``) or, with ``feed``, from the process's shared feed (drawn by its producer). How
    an update reaches the page is decided in ``tick`` alone (``gate.decide``).
    """

    model = param.ClassSelector(class_=BrownianMotion, constant=True, doc="""
        The model whose points are shown: the session's own, or the shared feed's.""")

    source = param.ClassSelector(class_=ColumnDataSource, constant=True, doc="""
        The data source the plot draws, with columns x (step) and y (position); made (named
        "path") if none is given.""")

    timestamps = param.Boolean(default=False, constant=True, doc="""
        Add a column t: the server's clock (ms since the epoch) when each point was streamed,
        so a client can measure how long updates take to arrive. Costs 8 bytes a point.""")

    def __init__(self, model: BrownianMotion | None = None, *, record: Record | None = None,
                 feed: SharedFeed | None = None, cache: FramesCache | None = None,
                 source_id: str | None = None, **params):
        """``record``: the own model's record, appended with each update drawn; ``feed``: show
        this shared feed instead (its model and record); ``cache``: frames of the updates the
        feed's in-step pages write alike (``fanout.frames_cache``), whose sources share the id
        ``source_id``."""
        if (model is None) == (feed is None):
            raise TypeError("PathStream shows a model or a feed: give one of them")
        doc = server_session_document()
        points = ModelPoints(model, record, doc) if feed is None else FeedPoints(feed)
        if params.get("source") is None:
            data = _empty_path(points.model.paths, params.get("timestamps", False))
            if feed is not None:  # what the feed holds now, as lists: later updates of
                # up to JSON_BATCH_LIMIT points then extend them (arrays would be copied whole)
                data.update(_columns(points.snapshot(), json_limit=None))
            params["source"] = source_with_id(source_id, data=data, name="path")
        super().__init__(model=points.model, **params)
        refuse_client_writes(self.source)
        self._points = points
        self._cache = cache
        self._timestamps = self.timestamps  # read on every update: a param read costs more
        #: The server session's document, or None in a notebook or plain Python.
        self._doc: Document | None = doc
        #: Outside a server session: streams into the source and keeps a notebook view exact.
        self._notebook = NotebookLink(self.source) if self._doc is None else None
        #: An update handed to the document lock and not yet shown (server session).
        self._queued = False
        self._retrying = False
        #: Told ``on_update()`` after each update shown (the page's views).
        self._views: list = []
        #: Number of updates shown since the driver was created.
        self.updates = 0
        #: Updates held back in a row so far because the client is not reading.
        self.held_back = 0
        # The own model's restart empties the plot at once; a feed's comes as a whole update.
        self._watchers = [] if feed is not None else [model.param.watch(self._clear, "run")]

    @property
    def running(self) -> bool:
        """True while the driver follows its points."""
        return self._points.following

    @property
    def record(self) -> Record | None:
        """What the views read: the own model's record, or the feed's."""
        return self._points.record

    def start(self) -> None:
        """Follow the points: every period, or each time the feed has news (idempotent)."""
        self._points.follow(self.tick, self._idle)

    def stop(self) -> None:
        """Stop following; the points already shown stay in the source."""
        self._points.unfollow()

    def release(self) -> None:
        """Stop for good: stop following, drop the points and the views. Idempotent."""
        self._points.release()
        for watcher in self._watchers:
            self.model.param.unwatch(watcher)
        self._watchers = []
        self._views = []
        if not isinstance(self._points, FeedPoints):
            self._clear()

    def add_view(self, view) -> None:
        """Call ``view.on_update()`` after each update shown."""
        self._views.append(view)

    def tick(self) -> None:
        """Show the next update now if the page can take it, else soon (queued under the
        document lock, or with the next update once the client reads again).

        An error while drawing or writing is logged and the next tick tries again, so one bad
        update never silently ends the stream.
        """
        if self._queued:
            return  # an update already waits for the busy session (the walk waits too)
        if not self._points.has_news:  # paused
            self._idle()
            return
        write = decide(self._doc)
        if write is Write.BEHIND:
            if not self.held_back:
                log.warning("client is not reading (%d bytes unread): updates held back until "
                         "it catches up", pending_bytes(self._doc))
            self.held_back += 1
            if self._points.coalesces and not self._retrying:  # a paused feed sends no more
                self._retrying = True
                server_loop(self._doc).call_later(BEHIND_RETRY_S, self._retry)
            return
        if self.held_back:
            log.info("client caught up; updates resume after %d held back", self.held_back)
            self.held_back = 0
        if write is Write.LOCKED:
            self._queued = True
            self._doc.add_next_tick_callback(self._locked_tick)
            return
        self._show(locked=write is Write.HERE)

    #: Alias: a shared feed offers its news.
    offer = tick

    def _idle(self) -> None:
        """No update comes now (a paused model, a feed paused or cut off), so none will find a
        change Panel stranded (``compat.send_stranded_writes``): look for one here."""
        if self._doc is not None:
            send_stranded_writes(self._doc)

    def _retry(self) -> None:
        self._retrying = False
        if self._points.following:
            self.tick()

    def _locked_tick(self) -> None:
        self._queued = False
        if self._points.following and self._points.has_news:
            self._show(locked=True)

    def _show(self, locked: bool) -> None:
        try:
            if self._doc is not None and not locked:
                with one_write(self._doc, self._cache):  # the refreshes made due ride along
                    shown = self._read_and_write(locked)
            else:
                shown = self._read_and_write(locked)
        except Exception:
            if not (locked and self._doc is not None
                    and lock_ended(self._doc, f"update {self.updates + 1}")):
                log.exception("update %d failed; the stream continues on the next tick",
                              self.updates + 1)
            return
        if shown:
            self.updates += 1

    def _read_and_write(self, locked: bool) -> bool:
        update = self._points.read()
        if update is None:
            return False
        data = _columns(update, JSON_BATCH_LIMIT)
        if self._timestamps:
            now = time.time() * 1000
            x = update.x
            data["t"] = [now] * len(x) if isinstance(data["x"], list) else np.full(len(x), now)
        rollover = self._points.window
        if update.whole:
            if self._notebook is not None:
                self.source.data = data
                self._notebook.push()
            elif locked:
                self.source.data = data
            else:
                write_changes(self._doc, data={self.source: data})
        elif self._notebook is not None:
            self._notebook.stream(data, rollover=rollover)
        elif locked:
            self.source.stream(data, rollover=rollover)
        else:
            write_stream(self._doc, self.source, data, rollover=rollover, key=update.key)
        if self._cache is not None:
            self._cache.moment(update.key)  # in-step pages' refreshes are due at one moment
        for view in self._views:
            view.on_update()
        return True

    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """The points the source holds now (the last ``window`` points), as float arrays: the
        first path's, or the median's beyond ``LINE_PATHS`` paths."""
        data = self.source.data
        return np.asarray(data["x"], dtype=np.float64), np.asarray(data["y"], dtype=np.float64)

    def notebook_view_ready(self) -> None:
        """In a notebook: the browser has built the plot's view (see ``notebook.ViewReady``)."""
        if self._notebook is not None:
            self._notebook.view_ready()

    def _clear(self, event: param.parameterized.Event | None = None) -> None:
        self._queued = True  # no update before the plot is emptied
        change_document(self._doc, self._empty)

    def _empty(self) -> None:
        self.source.data = _empty_path(self.model.paths, self.timestamps)
        if self._notebook is not None:
            self._notebook.push()
        self._queued = False


def _columns(update: Update, json_limit: int | None) -> dict:
    """The live source's columns of ``update``: lists up to ``json_limit`` points (None: any
    number)."""
    x, y = update.x, update.y
    if json_limit is not None and len(x) > json_limit:
        return path_columns(x, y)
    if y.ndim == 1:  # one path: the shared feed's every update, built directly
        return {"x": x.tolist(), "y": y.tolist()}
    return {name: column.tolist() for name, column in path_columns(x, y).items()}
