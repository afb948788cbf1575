"""``SharedApp``: one session's page of the shared feed (every viewer sees the same path).

Design notes: docs/architecture.md, "views/shared_page.py".
"""

from __future__ import annotations

import logging

import panel as pn
import param
from bokeh.document import Document
from bokeh.models import CustomJS, Div
from panel.viewable import Viewer
from tornado.ioloop import IOLoop

from ..compat import (
    answer_at_once,
    make_patch_curdoc_exception_safe,
    model_with_id,
    refuse_client_writes,
    source_with_id,
)
from ..driver.fanout import SHARED_IDS, frames_cache
from ..driver.gate import Write, decide
from ..driver.refresher import Refresher, show
from ..driver.throttle import Throttle
from ..driver.transport import close_when_silent, disable_nagle
from ..driver.wire import JSON_LIMIT, one_write, write_changes, write_stream
from ..export.csv import EXPORTS, Export
from ..feed.hub import SharedFeed, feed_for
from ..runtime.session import on_server_loop, server_loop, server_session_document
from .download import download_link
from .editor import float_slider
from .history import HistoryView
from .increments import IncrementsView
from .notice import connection_lost_notice, show_when_disconnected
from .page import TITLE, pause_label
from .ping import PingPong
from .plot import path_figure

log = logging.getLogger(__name__)

#: Browser code run when the connection is lost: ask for the page every 100 ms and reload it
#: once a server answers (a 502/503/504 from a proxy with no backend left does not count).
RELOAD_WHEN_SERVED = """
const retry = () => fetch(window.location.href, {method: 'HEAD', cache: 'no-store'})
  .then((response) => response.status < 502 ? window.location.reload()
                                             : setTimeout(retry, 100))
  .catch(() => setTimeout(retry, 100));
setTimeout(retry, 50);
"""


#: The id of every viewer's path source.
SOURCE_ID = "brownian-shared-path"

#: Seconds after which a page that was behind is offered the feed again (if no update came).
BEHIND_RETRY_S = 0.25

#: Seconds between two updates of a page's viewer count.
VIEWERS_INTERVAL = 1.0

#: While the variance slider is dragged, a control is sent at most this often (seconds).
CONTROL_INTERVAL_S = 0.05


class SharedApp(Viewer):
    """A viewer of the process's shared feed: the live plot, global controls and the ping."""

    feed = param.ClassSelector(class_=SharedFeed, constant=True, doc="""
        The feed to show; by default the server's own (``shared.feed_for``).""")

    silent_client_timeout = param.Number(default=10.0, bounds=(0, 3600), constant=True, doc="""
        Seconds between WebSocket pings and to wait for each pong (see ``BrownianApp``).""")

    def __init__(self, **params):
        if params.get("feed") is None:
            doc = server_session_document()
            params["feed"] = feed_for(loop=server_loop(doc) if doc is not None else None)
        super().__init__(**params)
        self._doc: Document | None = server_session_document()
        model = self.feed.model
        self._run, whole, x, y = self.feed.since(-1, 0)
        self._last = int(x[-1]) if len(x) else 0
        # Every viewer's source has one id, so their updates are the same bytes (see
        # ``_catch_up``); ids are unique per document, and a page has one source of this id.
        self.source = refuse_client_writes(
            source_with_id(SOURCE_ID, data={"x": x.tolist(), "y": y.tolist()}, name="path"))
        self.plot = path_figure(self.source)
        self.variance = float_slider(model.param.variance, format="0[.]0", value=model.variance)
        self.reset_button = pn.widgets.Button(label="Reset", color="warning")
        self.pause_button = pn.widgets.Button(label=pause_label(model.paused), color="primary")
        self.refused = pn.pane.Alert(alert_type="warning", visible=False)
        self.ping = PingPong()
        self.connection_notice = connection_lost_notice()
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
        self._queued = False
        self._retrying = self._released = False
        self.held_back = 0
        #: Frames of the messages every in-step viewer writes alike (their models share ids).
        self._cache = frames_cache(self.feed)
        #: The feed's record (None where the feed keeps none: over Redis, for now).
        self.record = self.feed.record
        self.history = self.increments = self.export = None
        self.export_token: str | None = None
        self.viewers = model_with_id(Div, f"{SHARED_IDS}-viewers", text="", name="viewers",
                                     styles={"font-size": "90%"})
        self._viewers_shown = 0
        self._viewers_refresher = Refresher(self._show_viewers, self._doc, VIEWERS_INTERVAL,
                                            cache=self._cache)
        whole_page = []
        if self.record is not None:
            self.history = HistoryView(self.record, self._doc, SHARED_IDS, self._cache)
            self.increments = IncrementsView(self.record, self._doc, SHARED_IDS, self._cache)
            self.export = Export(model, self.record.history, self.record.ensemble)
            link, self.export_token = download_link(self.export, self._doc)
            self.download = pn.pane.HTML(link, margin=(5, 10))
            whole_page = [
                pn.Row(pn.pane.Bokeh(self.history.status), self.download),
                pn.pane.Bokeh(self.history.figure, sizing_mode="stretch_width"),
                pn.Row(pn.pane.Bokeh(self.increments.figure, sizing_mode="stretch_width"),
                       pn.pane.Bokeh(self.increments.estimate, width=340),
                       sizing_mode="stretch_width"),
            ]
        self._layout = pn.Column(
            pn.pane.HTML(f"<h1>{TITLE} (shared)</h1>", margin=(0, 10)),
            pn.pane.Bokeh(self.connection_notice),
            self.feed_status,
            self.refused,
            pn.Row(self.variance, self.ping, self.reset_button, self.pause_button,
                   pn.pane.Bokeh(self.viewers)),
            pn.pane.Bokeh(self.plot, sizing_mode="stretch_width"),
            *whole_page,
            sizing_mode="stretch_width",
        )
        if self._doc is not None:
            self._attach(self._doc)
        self.feed.subscribe(self)
        self.feed.watch_status(self._on_status)
        self._show_viewers()  # before the page is sent: no message needed

    def __panel__(self) -> pn.Column:
        return self._layout

    def release(self) -> None:
        """Stop following the feed (the session ended). Idempotent."""
        self._released = True
        self.feed.unsubscribe(self)
        self.feed.unwatch_status(self._on_status)
        self._viewers_refresher.release()
        for view in (self.history, self.increments):
            if view is not None:
                view.release()
        if self.export_token is not None:
            EXPORTS.remove(self.export_token)
        for watcher in self._watchers:
            self.feed.model.param.unwatch(watcher)
        self._watchers = []

    # -- the path -------------------------------------------------------------------------

    def offer(self) -> None:
        """The feed has news: show it now if the session can take it, else soon."""
        if self.feed.subscribers != self._viewers_shown:
            self._viewers_refresher.request()
        write = decide(self._doc)
        if write is Write.HERE:
            self._catch_up(locked=True)
        elif write is Write.BEHIND:
            self.held_back += 1  # read again at the next update: coalesced, never queued
            if not self._retrying:  # or soon, if no update comes (the feed paused)
                self._retrying = True
                server_loop(self._doc).call_later(BEHIND_RETRY_S, self._retry)
        elif write is Write.NOW:
            with one_write(self._doc, self._cache):  # the refreshes made due ride along
                self._catch_up(locked=False)
        elif not self._queued:  # busy: once, under the document lock, after what holds it
            self._queued = True
            self._doc.add_next_tick_callback(self._locked_catch_up)

    def _retry(self) -> None:
        self._retrying = False
        if not self._released:
            self.offer()

    def _locked_catch_up(self) -> None:
        self._queued = False
        self._catch_up(locked=True)

    def _show_viewers(self) -> None:
        count = self.feed.subscribers
        self._viewers_shown = count
        text = f"{count:,} viewer{'' if count == 1 else 's'}"
        if self.feed.spans_processes:
            text += " on this server"
        if self.viewers.text != text:
            show(self._doc, {}, [(self.viewers, "text", text)], key=("viewers", text))

    def export_csv(self, path: str) -> None:
        """Write the shared path's whole history since its reset to ``path`` (``Export``)."""
        if self.export is None:
            raise RuntimeError("this feed keeps no history (over Redis): nothing to export")
        with open(path, "w", encoding="utf-8", newline="") as file:
            self.export.write(file)

    def _catch_up(self, locked: bool) -> None:
        run, whole, x, y = self.feed.since(self._run, self._last)
        if not whole and not len(x):
            return
        data = {"x": x.tolist(), "y": y.tolist()} if len(x) <= JSON_LIMIT else {"x": x, "y": y}
        if whole:
            if locked:
                self.source.data = data
            else:
                write_changes(self._doc, data={self.source: data})
        elif locked:
            self.source.stream(data, rollover=self.feed.window)
        else:
            write_stream(self._doc, self.source, data, rollover=self.feed.window,
                         key=("live", run, self._last, int(x[-1])))
        self._run = run
        self._last = int(x[-1]) if len(x) else 0
        if self.history is not None:  # the History and statistics follow the live plot
            self.history.on_update()
            self.increments.on_update()

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
            self.refused.param.update(object=f"Variance {value!r} refused: {error}",
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
            self._doc.add_next_tick_callback(action)

    def _on_model(self, event: param.parameterized.Event) -> None:
        self._on_page(self._show_controls)

    def _show_controls(self) -> None:
        model = self.feed.model
        if not self._send_variance.waiting:  # else this page's newer value is on its way
            self._show_variance(model.variance)
        self.pause_button.label = pause_label(model.paused)

    def _attach(self, doc: Document) -> None:
        doc.on_session_destroyed(lambda session_context: self.release())
        make_patch_curdoc_exception_safe()
        show_when_disconnected(doc, self.connection_notice)
        # The path is not this session's: when the server goes away, load the page again as
        # soon as one answers (behind nginx, another backend) and go on showing it.
        doc.js_on_event("connection_lost", CustomJS(code=RELOAD_WHEN_SERVED))
        pn.state.onload(lambda: on_server_loop(doc, lambda: (
            disable_nagle(doc), close_when_silent(doc, self.silent_client_timeout))))
