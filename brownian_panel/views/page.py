"""``BrownianApp``: the live Brownian-motion page of one session (or one notebook cell)."""

from __future__ import annotations

import asyncio
import html
import logging
from functools import partial

import panel as pn
import param
from panel.viewable import Viewer

from ..compat import make_models_cheaper, make_patch_curdoc_exception_safe
from ..driver.stream import LINE_PATHS, PathStream
from ..driver.transport import close_when_silent, disable_nagle
from ..export.csv import EXPORTS, Export
from ..model.ensemble import EnsembleHistory
from ..model.record import Record
from ..model.validation import kept
from ..model.walk import BrownianMotion
from ..notebook import ViewReady, release_on_rerun, repair_kernel_comms
from ..runtime.bokeh_settings import keep_per_model_settings
from ..runtime.collector import tune_collector
from ..runtime.later import later_for
from ..runtime.logs import quiet_client_errors
from ..runtime.memory import trim_after_session
from ..runtime.session import (
    change_document,
    on_server_loop,
    server_loop,
    server_session_document,
)
from .displacement import DisplacementView
from .download import download_link
from .editor import EDITOR_WIDGETS, VarianceEntry, model_editor
from .frame import (
    CONTROL_WIDTH,
    CONTROLS_TO_COME_NAME,
    PLOTS_TO_COME_NAME,
    about_walk,
    controls_column,
    header,
    header_html,
    history_panes,
    page_frame,
    plots_column,
    settings_card,
    slider_marks,
    statistics_panes,
    to_come,
    use_page_frame,
)
from .history import HistoryView
from .increments import IncrementsView
from .notice import connection_notice, follow_connection
from .ping import PingPong
from .plot import path_figure, set_path_layout, set_titles
from .url import UrlSync, apply_query, url_recorder

log = logging.getLogger(__name__)

TITLE = "Brownian motion"

#: Where the variance slider has labels (the original's marks).
VARIANCE_MARKS = (0, 0.5, 1, 1.5, 2)

#: What the page says until its controls, then its History and statistics, are built: the
#: live plot comes first (``runtime.later``).
CONTROLS_TO_COME = "The controls follow in a moment: the live plot comes first."
PLOTS_TO_COME = "The History and the statistics follow in a moment."

#: Model parameters that the page URL records.
URL_PARAMETERS = [*EDITOR_WIDGETS, "paused", "history"]


#: The parts of a page built after its first point in a server session, in this order: each
#: ``BrownianApp._build_<part>`` makes the attributes that ``_Built`` lists for it.
PARTS = ("controls", "plots")


class _Built:
    """An attribute made by a part built later (``PARTS``): asked for before, the part is
    built now (e.g. a served notebook's next cell reads ``app.increments``)."""

    def __init__(self, part: str):
        self.part = part

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, app, owner=None):
        if app is None:
            return self
        app._build(self.part)
        return app._made[self.name]

    def __set__(self, app, value) -> None:
        app._made[self.name] = value


def pause_label(paused: bool) -> str:
    """The Pause button's label: what a click does."""
    return "Resume" if paused else "Pause"


class BrownianApp(Viewer):
    """The model's editor, Reset and Pause buttons, the ping readout and the live plot.

    Building one starts streaming. Inside a server session the query string sets the model, the
    URL follows it, and the stream stops and the objects are released when the session ends. In
    a notebook, running the cell that built it again releases it. Call ``release()`` to stop it
    yourself.
    """

    model = param.ClassSelector(class_=BrownianMotion, constant=True, doc="""
        The model this app shows and edits; a new one is made if none is given.""")

    sync_url = param.Boolean(default=True, constant=True, doc="""
        In a server session, read the model's parameters from the page's query string and keep
        the URL following the controls.""")

    timestamps = param.Boolean(default=False, constant=True, doc="""
        Add a column t to the path's data source: the server's clock (ms since the epoch) when
        each point was streamed (see ``PathStream.timestamps``).""")

    silent_client_timeout = param.Number(default=10.0, bounds=(0, 3600), constant=True, doc="""
        In a server session, seconds between WebSocket pings and to wait for each pong: a loaded
        page whose browser vanished without closing is disconnected within twice this plus 5 s,
        then Bokeh discards its session after the unused-session lifetime. 0 never pings.""")

    editor = _Built("controls")
    settings = _Built("controls")
    variance_entry = _Built("controls")
    ping = _Built("controls")
    reset_button = _Built("controls")
    pause_button = _Built("controls")
    download = _Built("controls")
    history = _Built("plots")
    increments = _Built("plots")
    displacement = _Built("plots")

    def __init__(self, **params):
        make_models_cheaper()  # before any Bokeh model is made
        keep_per_model_settings()
        if params.get("model") is None:
            params["model"] = BrownianMotion()
        super().__init__(**params)
        model = self.model
        #: What the views read, appended by the stream's updates (before any view watches).
        self.record = Record(model)
        self.stream = PathStream(model, record=self.record, timestamps=self.timestamps)
        session_doc = server_session_document()
        self._doc = session_doc
        self.export = Export(model, self.record.history, self.record.ensemble)
        self.path_plot = path_figure(self.stream.source)
        set_path_layout(self.path_plot, self.stream.source, model.paths, LINE_PATHS)
        self._download_link, token = download_link(self.export, session_doc)
        #: The session's download token (None outside a server session or without the route).
        self.export_token: str | None = token
        # The parts built later (``PARTS``): at once in a notebook or plain Python, after the
        # first point in a server session (``runtime.later``), or when first asked for.
        self._built: set[str] = set()
        self._made: dict[str, object] = {}  # what they made, by attribute name (``_Built``)
        self._watchers = [model.param.watch(self._show_pause_state, "paused"),
                          model.param.watch(self._on_run, "run"),
                          model.param.watch(self._on_settings,
                                            ["variance", "period", "batch", "window", "paths"])]
        #: Refused values, from the URL or typed: what was refused and what was kept.
        self.url_errors = pn.pane.Alert(alert_type="warning", visible=False,
                                        css_classes=["messages"])
        self.url_recorder = url_recorder()
        self.connection_notice = connection_notice()
        self._url_sync: UrlSync | None = None
        self.header = header(TITLE, self._about())
        self._controls = controls_column(to_come(CONTROLS_TO_COME, CONTROLS_TO_COME_NAME))
        self._live_pane = pn.pane.Bokeh(self.path_plot, sizing_mode="stretch_width")
        self._plots_to_come = to_come(PLOTS_TO_COME, PLOTS_TO_COME_NAME)
        self._plots = plots_column(self._live_pane, self._plots_to_come)
        self._layout = page_frame(
            self.header,
            [pn.pane.Bokeh(self.connection_notice), self.url_errors],
            self._controls,
            self._plots,
            [pn.pane.Bokeh(self.url_recorder, visible=False)],
        )
        self._on_settings()
        self._later: list = []
        self._released = False
        if session_doc is None:
            for part in PARTS:
                self._build(part)
            # In a notebook the stream waits for the browser to build the plot's view.
            self._layout.append(ViewReady(on_ready=self.stream.notebook_view_ready))
        self._attach_to_session()
        self.stream.start()
        if session_doc is not None:
            later = later_for(server_loop(session_doc))
            later.page_opened()
            # Queued once the page has loaded: Panel sends a layout change only then.
            pn.state.onload(lambda: self._later.extend(
                later.add(session_doc, partial(self._build, part), self._first_point_shown)
                for part in PARTS))

    def _first_point_shown(self) -> bool:
        return self.stream.updates > 0

    def _build(self, part: str) -> None:
        """Build ``part`` (one of ``PARTS``) unless it is built."""
        if part not in self._built:
            self._built.add(part)
            getattr(self, f"_build_{part}")()

    def _build_controls(self) -> None:
        """The variance slider with its marks and typed entry, Reset, Pause, the ping readout,
        the run's settings and the download link."""
        model = self.model
        #: The parameter editor (``pn.Param`` of the model): the variance slider.
        self.editor = model_editor(model, notebook_view_ready=False, parameters=["variance"],
                                   width=CONTROL_WIDTH, margin=0)
        self.variance_entry = VarianceEntry(model, on_refused=self._say_refused)
        self.ping = PingPong(margin=(5, 10))
        self.reset_button = pn.widgets.Button(label="Reset", description="Start a new path")
        self.pause_button = pn.widgets.Button(label=pause_label(model.paused), color="primary")
        self.reset_button.on_click(lambda event: model.reset())
        self.pause_button.on_click(lambda event: model.param.update(paused=not model.paused))
        self.download = pn.pane.HTML(self._download_link, margin=(5, 10))
        # The run's settings (seed, period, batch, window, paths), folded.
        self.settings = model_editor(model, notebook_view_ready=False, width=CONTROL_WIDTH,
                                     margin=0, parameters=[name for name in EDITOR_WIDGETS
                                                           if name != "variance"])
        for widget in (*self.editor.layout, *self.settings.layout):
            widget.on_refused = self._say_refused
        settings = settings_card(self.settings)
        # One layout change: each costs Panel a walk over the whole page.
        self._controls.objects = [
            self.editor, slider_marks(VARIANCE_MARKS), self.variance_entry.widget,
            pn.Row(self.reset_button, self.pause_button), self.ping, settings, self.download]

    def _build_plots(self) -> None:
        """The History and the statistics (increments histogram, MSD of an ensemble): one
        layout change (each costs Panel a walk over the whole page)."""
        self.history = HistoryView(self.record, self._doc)
        self.increments = IncrementsView(self.record, self._doc)
        self.displacement = DisplacementView(self.record, self._doc)
        self._show_settings()
        self._plots.objects = [self._live_pane, *history_panes(self.history),
                               statistics_panes(self.increments), self.displacement.pane]
        for view in (self.history, self.increments, self.displacement):
            self.stream.add_view(view)

    def __panel__(self) -> pn.Column:
        return self._layout

    def release(self) -> None:
        """Stop streaming and drop the path; the app stays displayed but frozen. Idempotent."""
        self._released = True
        for part in self._later:
            later_for(server_loop(self._doc)).cancel(part)
        self._later = []
        self.stream.release()
        for name in ("history", "increments", "displacement", "variance_entry"):
            if name in self._made:
                self._made[name].release()
        self.record.release()
        if self.export_token is not None:
            EXPORTS.remove(self.export_token)
        for watcher in self._watchers:
            self.model.param.unwatch(watcher)
        self._watchers = []
        if self._url_sync is not None:
            self._url_sync.stop()

    def export_csv(self, path: str) -> None:
        """Write the whole history since the reset to ``path`` as exact CSV (``Export``)."""
        with open(path, "w", encoding="utf-8", newline="") as file:
            self.export.write(file)

    @property
    def ensemble(self) -> EnsembleHistory:
        """Every path's values when there are several (the History plot shows the first)."""
        return self.record.ensemble

    def _on_run(self, event: param.parameterized.Event) -> None:
        # A restart, perhaps with another number of paths: lay the live plot out for it.
        change_document(self._doc, lambda: set_path_layout(self.path_plot, self.stream.source,
                                                           self.model.paths, LINE_PATHS))

    def _about(self) -> str:
        model = self.model
        return about_walk(model.variance, model.period, model.batch, model.window)

    def _on_settings(self, *events: param.parameterized.Event) -> None:
        """A setting changed: the title sentence and plot titles say so."""
        change_document(self._doc, self._show_settings)

    def _show_settings(self) -> None:
        # The sentence under the title and the plots' titles say what is drawn.
        self.header.text = header_html(TITLE, self._about())
        history = self._made["history"].figure if "history" in self._made else None
        set_titles(self.path_plot, history, self.model.window, self.model.paths)

    def _say_refused(self, name: str, message: str) -> None:
        """Show a refused value (typed or sent by the browser) and the value kept."""
        text = kept(message, getattr(self.model, name))
        self.url_errors.param.update(object=html.escape(text), visible=True)

    def _show_pause_state(self, event: param.parameterized.Event) -> None:
        if "pause_button" in self._made:
            self._made["pause_button"].label = pause_label(event.new)

    def _attach_to_session(self) -> None:
        doc = server_session_document()
        if doc is None:
            release_on_rerun(self.release)  # in a notebook: running the cell again releases
            repair_kernel_comms()  # in IPython: see notebook.py
            return
        doc.on_session_destroyed(lambda session_context: self.release())
        trim_after_session(doc)  # the memory it freed goes back to the system
        tune_collector()  # no full collection while pages stream
        make_patch_curdoc_exception_safe()  # a client's bad patch must not leak its document
        # A client's refused message, a write to a client that left: one log line each.
        on_server_loop(doc, lambda: quiet_client_errors(asyncio.get_running_loop()))
        follow_connection(doc, self.connection_notice)
        use_page_frame(doc)
        # The browser's WebSocket is subscribed by the time the page reports it has loaded.
        pn.state.onload(lambda: on_server_loop(doc, lambda: (
            disable_nagle(doc), close_when_silent(doc, self.silent_client_timeout))))
        if self.sync_url:
            refused = apply_query(self.model, pn.state.session_args, URL_PARAMETERS)
            if refused:
                # The messages quote what the client sent: escape it, never render it as HTML.
                text = "\n\n".join(html.escape(message) for message in refused.values())
                self.url_errors.param.update(object=text, visible=True)
            self._url_sync = UrlSync(self.model, self.url_recorder, URL_PARAMETERS, doc)
