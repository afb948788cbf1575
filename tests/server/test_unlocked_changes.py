"""Model changes where Panel runs some widget watchers: on the server loop, outside the document
lock (a widget event arriving while another widget's change waits, Panel's ``_event_coroutine``).
Bokeh refuses a model change there; the page shows it on the document's next tick instead."""

from __future__ import annotations

import threading
import time

from bokeh.models import GlyphRenderer

from brownian_panel import compat
from brownian_panel.runtime.session import change_document
from brownian_panel.views.plot import ENSEMBLE

from ..helpers import LiveClient, wait_until


def _outside_the_lock(served_app, action) -> bool:
    """Run ``action`` on the server loop without the document lock, where Bokeh would refuse a
    model change (the condition reproduced); whether it ran. While a locked callback of the
    session runs (Bokeh 3.10 runs them on a worker thread, beside the loop) the document takes
    changes: then tried again, for up to 10 s."""
    document = served_app.app().stream.source.document

    def run(done: threading.Event, ran: list) -> None:
        try:
            if not compat.takes_changes(document):
                ran.append(True)
                action()
        finally:
            done.set()

    deadline = time.monotonic() + 10
    while True:
        done, ran = threading.Event(), []
        served_app.loop.add_callback(run, done, ran)
        assert done.wait(10), "the server loop did not run the change"
        if ran or time.monotonic() > deadline:
            return bool(ran)
        time.sleep(0.05)


def test_settings_and_a_reset_outside_the_lock_reach_the_page(served_app):
    with LiveClient(served_app.url, {"period": "50"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 3)
        document = client.session.document
        recorder = document.get_model_by_name("url_recorder")
        header = document.get_model_by_id(app.header.id)
        before = header.text

        def change() -> None:
            app.model.param.update(variance=0.5, paths=3)
            app.model.reset()

        assert _outside_the_lock(served_app, change)
        wait_until(lambda: "variance=0.5&" in recorder.text + "&" and "paths=3&" in recorder.text)
        wait_until(lambda: header.text == app.header.text != before)
        wait_until(lambda: any((renderer.name or "").startswith(ENSEMBLE)
                               for renderer in document.select({"type": GlyphRenderer})))
        # The plot was emptied for the new run, which then streams from its start.
        wait_until(lambda: client.points >= 3 and list(client.source.data["x"][:3]) == [1, 2, 3])
        assert "y2" in client.source.data


def test_an_update_whose_lock_ended_under_it_is_one_warning_and_the_stream_goes_on(
        served_app, log_records):
    # Bokeh 3.10 runs a locked callback on a worker thread; Panel 1.10, stopping its server,
    # cancels every pending task, which ends the lock while the thread still runs. Reproduced
    # here as the update a locked callback would make, run where no lock is held.
    with LiveClient(served_app.url, {"period": "50"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 3)
        shown_by_it = []

        def show() -> None:  # counted in the same callback: a tick may run before or after
            updates = app.stream.updates
            app.stream._show(locked=True)
            shown_by_it.append(app.stream.updates - updates)

        assert _outside_the_lock(served_app, show)
        assert shown_by_it == [0]  # not shown
        messages = [record.getMessage() for record in log_records.records]
        assert any("document lock ended under it" in message for message in messages)
        assert not any(record.exc_info for record in log_records.records), messages
        shown = client.points
        wait_until(lambda: client.points > shown + 3)


def test_a_page_change_whose_lock_ended_under_it_is_one_warning(served_app, log_records,
                                                                monkeypatch):
    # The same for a change handed to the document's next tick (``change_document``): Bokeh
    # would log the change's traceback. The callback Bokeh would run is run where no lock is.
    with LiveClient(served_app.url, {"period": "50"}):
        app = served_app.app()
        document = app.stream.source.document
        scheduled = []
        monkeypatch.setattr(document, "add_next_tick_callback", scheduled.append)
        assert _outside_the_lock(served_app, lambda: change_document(
            document, lambda: setattr(app.header, "text", "changed")))
        monkeypatch.undo()
        assert len(scheduled) == 1 and app.header.text != "changed"  # handed to the next tick
        assert _outside_the_lock(served_app, scheduled[0])
        messages = [record.getMessage() for record in log_records.records]
        assert messages == ["a change of the page not done: its document lock ended under it "
                            "(Bokeh cancelled the callback, as when the server stops)"]
        assert not any(record.exc_info for record in log_records.records)
