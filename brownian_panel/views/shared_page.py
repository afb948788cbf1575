"""``SharedApp``: one session's page of the shared feed (every viewer sees the same path).

Design notes: docs/architecture.md, "views/shared_page.py".
"""

from __future__ import annotations

import asyncio
import html
import logging
from functools import partial

import panel as pn
import param
from bokeh.document import Document
from bokeh.models import Div
from panel.viewable import Viewer
from tornado.ioloop import IOLoop

from ..compat import (
    answer_at_once,
    make_models_cheaper,
    make_patch_curdoc_exception_safe,
    model_with_id,
)
from ..driver.fanout import SHARED_IDS, frames_cache
from ..driver.refresher import Refresher, show
from ..driver.stream import PathStream
from ..driver.throttle import Throttle
from ..driver.transport import close_when_silent, disable_nagle
from ..export.csv import EXPORTS, Export
from ..feed.hub import SharedFeed, feed_for
from ..model.validation import kept
from ..runtime.bokeh_settings import keep_per_model_settings
from ..runtime.collector import tune_collector
from ..runtime.logs import quiet_client_errors
from ..runtime.memory import trim_after_session
from ..runtime.session import (
    change_document,
    next_tick,
    on_server_loop,
    server_loop,
    server_session_document,
)
from .download import download_link
from .editor import float_slider
from .frame import (
    CONTROL_WIDTH,
    about_walk,
    controls_column,
    header,
    header_html,
    page_frame,
    page_plots,
    slider_marks,
    use_page_frame,
)
from .history import HistoryView
from .increments import IncrementsView
from .notice import connection_notice, follow_connection
from .page import TITLE, VARIANCE_MARKS, pause_label
from .ping import PingPong
from .plot import path_figure, set_titles

log = logging.getLogger(__name__)

SHARED_TITLE = f"{TITLE} (shared)"

#: The id of every viewer's path source.
SOURCE_ID = "brownian-shared-path"

#: Seconds between two updates of a page's viewer count.
VIEWERS_INTERVAL = 1.0

#: While the variance slider is dragged, a control is sent at most this often (seconds).
CONTROL_INTERVAL_S = 0.05


class SharedApp(Viewer):
    """A viewer of the process's shared feed: the whole page (live plot, History, statistics,
    export, viewer count), global controls and the ping; its driver follows the feed."""

    feed = param.ClassSelector(class_=SharedFeed, constant=True, doc="""
        The feed to show; by default the server's own (``shared.feed_for``).""")

    silent_client_timeout = param.Number(default=10.0, bounds=(0, 3600), constant=True, doc="""
        Seconds between WebSocket pings and to wait for each pong (see ``BrownianApp``).""")

    def __init__(self, **params):
        make_models_cheaper()  # before any Bokeh model is made
        keep_per_model_settings()
        if params.get("feed") is None:
            doc = server_session_document()
            params["feed"] = feed_for(loop=server_loop(doc) if doc is not None else None)
        super().__init__(**params)
        self._doc: Document | None = server_session_document()
        model = self.feed.model
        #: Frames of the messages every in-step viewer writes alike (their models share ids).
        self._cache = frames_cache(self.feed)
        # Every viewer's source has one id, so their updates are the same bytes; ids are unique
        # per document, and a page has one source of this id.
        self.stream = PathStream(feed=self.feed, cache=self._cache, source_id=SOURCE_ID)
        self.source = self.stream.source
        self.plot = path_figure(self.source)
        self.variance = float_slider(model.param.variance, format="0[.]0", value=model.variance,
                                     width=CONTROL_WIDTH)
        self.reset_button = pn.widgets.Button(label="Reset", description="Start a new path")
        self.pause_button = pn.widgets.Button(label=pause_label(model.paused), color="primary")
        self.refused = pn.pane.Alert(alert_type="warning", visible=False,
                                     css_classes=["messages"])
        self.ping = PingPong(margin=(5, 10))
        self.connection_notice = connection_notice()
        self.feed_status = pn.pane.Alert(
            "The shared feed is interrupted: waiting for it to come back…", alert_type="danger",
            visible=self.feed.interrupted, name="feed-status")
        # A change is sent at once, a drag at most every CONTROL_INTERVAL_S (newest value).
        answer_at_once(self.variance)
        self._send_variance = Throttle(CONTROL_INTERVAL_S, self._apply_variance,
                                       self._call_later)
        self._showing = False  # the slider is being set to the feed's value, not by the user
        self.variance.param.watch(self._on_slider, "value")
        self.reset_button.on_click(lambda event: self.feed.reset(on_error=self._not_applied))
        self.pause_button.on_click(lambda event: self.feed.control(
            paused=not model.paused, on_error=self._not_applied))
        self._watchers = [model.param.watch(self._on_model, ["variance", "paused"])]
        #: The feed's record (the History, statistics and export every viewer shows).
        self.record = self.feed.record
        self.export_token: str | None = None
        self.viewers = model_with_id(Div, f"{SHARED_IDS}-viewers", text="", name="viewers",
                                     styles={"font-size": "90%"}, margin=(5, 10))
        self._viewers_refresher = Refresher(self._show_viewers, self._doc, VIEWERS_INTERVAL,
                                            cache=self._cache)
        self.history = HistoryView(self.record, self._doc, SHARED_IDS, self._cache)
        self.increments = IncrementsView(self.record, self._doc, SHARED_IDS, self._cache)
        for view in (self.history, self.increments):
            self.stream.add_view(view)
        self.export = Export(model, self.record.history, self.record.ensemble)
        link, self.export_token = download_link(self.export, self._doc)
        self.download = pn.pane.HTML(link, margin=(5, 10))
        set_titles(self.plot, self.history.figure, model.window, model.paths)
        self.header = header(SHARED_TITLE, self._about())
        self._controls = controls_column(
            self.variance, slider_marks(VARIANCE_MARKS),
            pn.Row(self.reset_button, self.pause_button), self.ping,
            pn.pane.Bokeh(self.viewers), self.download)
        self._plots = page_plots(self.plot, self.history, self.increments)
        self._layout = page_frame(
            self.header,
            [pn.pane.Bokeh(self.connection_notice), self.feed_status, self.refused],
            self._controls,
            self._plots,
            [],
        )
        if self._doc is not None:
            self._attach(self._doc)
        self.stream.start()
        self.feed.watch_viewers(self._viewers_refresher.request)
        self.feed.watch_status(self._on_status)
        self._show_viewers()  # before the page is sent: no message needed

    def __panel__(self) -> pn.Column:
        return self._layout

    def release(self) -> None:
        """Stop following the feed (the session ended). Idempotent."""
        self.stream.release()
        self.feed.unwatch_viewers(self._viewers_refresher.request)
        self.feed.unwatch_status(self._on_status)
        self._viewers_refresher.release()
        self.history.release()
        self.increments.release()
        if self.export_token is not None:
            EXPORTS.remove(self.export_token)
        for watcher in self._watchers:
            self.feed.model.param.unwatch(watcher)
        self._watchers = []

    def _show_viewers(self) -> None:
        count = self.feed.subscribers
        text = f"{count:,} viewer{'' if count == 1 else 's'}"
        if self.feed.spans_processes:
            text += " on this server"
        if self.viewers.text != text:
            show(self._doc, {}, [(self.viewers, "text", text)], key=("viewers", text))

    def export_csv(self, path: str) -> None:
        """Write the shared path's whole history since its reset to ``path`` (``Export``)."""
        with open(path, "w", encoding="utf-8", newline="") as file:
            self.export.write(file)

    # -- the controls -----------------------------------------------------------------------

    def _on_slider(self, event: param.parameterized.Event) -> None:
        if not self._showing:
            self._send_variance(event.new)

    def _show_variance(self, value: float) -> None:
        self._showing = True
        try:
            self.variance.value = value
        finally:
            self._showing = False

    def _apply_variance(self, value: float) -> None:
        model = self.feed.model
        if value == model.variance:
            return
        try:
            self.feed.control(variance=value, on_error=self._not_applied)
        except ValueError as error:
            log.warning("variance %r refused: %s", value, error)
            self.refused.param.update(object=html.escape(kept(str(error), model.variance)),
                                      visible=True)
            self._show_variance(model.variance)
            return
        self.refused.visible = False

    def _call_later(self, delay_s: float, callback) -> None:
        if self._doc is not None:
            self._doc.add_timeout_callback(callback, max(1, round(1000 * delay_s)))
        else:
            IOLoop.current().call_later(delay_s, callback)

    def _not_applied(self, message: str) -> None:
        """A control the feed could not apply (its producer unreachable): say so here, show
        the controls as they are."""
        self._on_page(lambda: (self.refused.param.update(object=message, visible=True),
                               self._show_controls()))

    def _on_status(self, interrupted: bool) -> None:
        self._on_page(lambda: self.feed_status.param.update(visible=interrupted))

    def _on_page(self, action) -> None:
        """Run ``action`` on this session's page: now if in its context, else on its next tick
        (a change from another session or thread arrives outside this session's lock)."""
        if self._doc is None or pn.state.curdoc is self._doc:
            action()
        else:
            next_tick(self._doc, action, "a change of the page")

    def _on_model(self, event: param.parameterized.Event) -> None:
        self._on_page(self._show_controls)

    def _about(self) -> str:
        model = self.feed.model
        return (f"{about_walk(model.variance, model.period, model.batch, model.window)} Every "
                "viewer sees this same path: the variance, Reset and Pause act for everyone.")

    def _show_controls(self) -> None:
        model = self.feed.model
        text = header_html(SHARED_TITLE, self._about())
        if self.header.text != text:
            # A Bokeh model, not a Panel one: changed under the document's lock.
            change_document(self._doc, partial(setattr, self.header, "text", text))
        if not self._send_variance.waiting:  # else this page's newer value is on its way
            self._show_variance(model.variance)
        self.pause_button.label = pause_label(model.paused)

    def _attach(self, doc: Document) -> None:
        doc.on_session_destroyed(lambda session_context: self.release())
        trim_after_session(doc)  # the memory it freed goes back to the system
        tune_collector()  # no full collection while pages stream
        make_patch_curdoc_exception_safe()
        # A client's refused message, a write to a client that left: one log line each.
        on_server_loop(doc, lambda: quiet_client_errors(asyncio.get_running_loop()))
        follow_connection(doc, self.connection_notice, new_run=False)
        use_page_frame(doc)
        pn.state.onload(lambda: on_server_loop(doc, lambda: (
            disable_nagle(doc), close_when_silent(doc, self.silent_client_timeout))))
