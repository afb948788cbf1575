"""``brownian_panel.compat``: every fast path is on for the installed stack, a changed shape
turns one off with one WARNING, and the public path works."""

from __future__ import annotations

import asyncio
import inspect
import logging

import numpy as np
import panel as pn
import pytest
from bokeh import __version__ as bokeh_version
from bokeh.document import Document
from bokeh.io import curdoc
from bokeh.io import doc as bokeh_doc
from bokeh.models import ColumnDataSource, Div

from brownian_panel import compat
from brownian_panel.compat import (
    bokeh_callbacks,
    bokeh_curdoc,
    bokeh_defaults,
    bokeh_property_names,
)
from brownian_panel.compat.feature import Feature

BOKEH_FIXED_PATCH_CURDOC = tuple(int(part) for part in bokeh_version.split(".")[:2]) >= (3, 10)
#: BokehJS 3.10 applies a re-pulled document's buffers (bokeh#15347 fixed).
BOKEHJS_KEEPS_REPULL_BUFFERS = BOKEH_FIXED_PATCH_CURDOC
#: Panel 1.9 releases a notebook view's document after a browser change; 1.10 leaves it held.
PANEL_RELEASES_CHANGE_HOLD = tuple(int(part) for part in pn.__version__.split(".")[:2]) < (1, 10)


@pytest.mark.parametrize("feature", compat.FEATURES, ids=lambda feature: feature.name)
def test_every_fast_path_is_on_for_this_stack(feature, fresh_features):
    expected = compat.ON
    if feature in (compat.CURDOC_REPAIR, compat.DEFAULTS_CACHE) and BOKEH_FIXED_PATCH_CURDOC:
        expected = compat.NOT_NEEDED
    if feature is compat.CHANGE_RELEASE and PANEL_RELEASES_CHANGE_HOLD:
        expected = compat.NOT_NEEDED
    if feature is compat.REPULL_INLINE and BOKEHJS_KEEPS_REPULL_BUFFERS:
        expected = compat.NOT_NEEDED
    assert feature.state == expected, f"{feature.name}: {feature.reason}"


def test_direct_writes_are_on_for_this_stack(fresh_features):
    assert compat.direct_writes()


def test_a_changed_shape_turns_the_feature_off_with_one_warning(caplog):
    def probe():
        raise AttributeError("'module' object has no attribute '_GONE'")

    feature = Feature("probe-feature", uses="x._GONE", written_for="-", stands_in_for="-",
                      fallback="the public path", probe=probe)
    with caplog.at_level(logging.WARNING, logger="brownian_panel.compat.feature"):
        assert not feature.on
        assert not feature.on
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "probe-feature is off" in record.getMessage()
    assert "the public path" in record.getMessage()


def test_a_mismatch_seen_at_run_time_turns_the_feature_off_with_one_warning(caplog):
    feature = Feature("probe-feature", uses="-", written_for="-", stands_in_for="-",
                      fallback="the public path", probe=lambda: None)
    assert feature.on
    with caplog.at_level(logging.WARNING, logger="brownian_panel.compat.feature"):
        feature.turn_off("the browser's CommManager has no msg_handler")
        feature.turn_off("the browser's CommManager has no msg_handler")
    [record] = caplog.records
    assert not feature.on and "probe-feature is off (the browser's" in record.getMessage()


def test_the_environment_asks_for_the_public_paths(fresh_features, caplog):
    fresh_features.setenv(compat.PUBLIC_PATHS_ENV, "all")
    with caplog.at_level(logging.WARNING):
        assert not compat.direct_writes()
    assert compat.SESSION_CONNECTIONS.state == compat.OFF
    assert any("session-connections is off" in r.getMessage() for r in caplog.records)


def test_with_public_paths_the_helpers_take_the_public_way(fresh_features):
    fresh_features.setenv(compat.PUBLIC_PATHS_ENV, "all")
    source = ColumnDataSource(data={"x": [1.0]})
    compat.append_quietly(source, {"x": [2.0]}, rollover=None)  # streams instead
    assert list(source.data["x"]) == [1.0, 2.0]
    assert compat.source_with_id("some-id", data={"x": []}).id != "some-id"
    assert compat.server_session(Document()) is None
    slider = pn.widgets.FloatSlider()
    compat.answer_at_once(slider)
    assert slider._debounce == 50
    assert not compat.send_stranded_writes(Document())


def test_a_change_panel_left_queued_without_a_writer_is_sent(fresh_features):
    # The state Panel's write task leaves when a change was queued while it wrote: the
    # document's queue filled, its block removed (no task will send it).
    from panel.io import document as panel_document

    block, queue = compat.panel_document._queues()
    doc = Document()

    async def scenario():
        queue[doc] = {} if queue is getattr(panel_document, "_WRITE_MSGS", None) else []
        assert doc not in block
        assert compat.send_stranded_writes(doc)
        assert not compat.send_stranded_writes(doc)  # its writer is on its way
        for _ in range(10):
            await asyncio.sleep(0)
        return doc in queue, doc in block

    assert asyncio.run(scenario()) == (False, False)  # Panel's writer sent it and unblocked


def test_a_paused_pages_tick_sends_a_change_panel_stranded(fresh_features):
    # A paused page makes no update, whose write would find the stranded change: its tick does.
    from panel.io import document as panel_document

    from brownian_panel import BrownianMotion, PathStream

    block, queue = compat.panel_document._queues()
    stream = PathStream(BrownianMotion(paused=True))
    stream._doc = doc = Document()  # as if in a server session

    async def scenario():
        queue[doc] = {} if queue is getattr(panel_document, "_WRITE_MSGS", None) else []
        stream.tick()
        picked_up = doc in block  # Panel's writer is on its way
        for _ in range(10):
            await asyncio.sleep(0)
        return picked_up, doc in queue, stream.updates

    try:
        assert asyncio.run(scenario()) == (True, False, 0)
    finally:
        stream._doc = None
        stream.release()


def test_a_paused_shared_feeds_pages_send_a_change_panel_stranded(fresh_features):
    # A paused feed offers its pages nothing: its once-a-second tick tells them it is idle,
    # and each looks for a stranded change; a feed that offered news since does not.
    from panel.io import document as panel_document

    from brownian_panel import PathStream
    from brownian_panel.feed.hub import SharedFeed

    block, queue = compat.panel_document._queues()
    feed = SharedFeed()
    stream = PathStream(feed=feed)
    stream._doc = doc = Document()  # as if in a server session
    stream.start()
    every_second = feed._every_second

    async def scenario():
        feed.model.paused = True
        every_second.tick()  # the first: it only notes the offers so far
        feed.notify()  # news came within the next second: no idle check at its end
        queue[doc] = {} if queue is getattr(panel_document, "_WRITE_MSGS", None) else []
        every_second.tick()
        not_before = doc not in block
        every_second.tick()  # a second with nothing offered
        picked_up = doc in block  # Panel's writer is on its way
        for _ in range(10):
            await asyncio.sleep(0)
        return not_before, picked_up, doc in queue

    try:
        assert asyncio.run(scenario()) == (True, True, False)
    finally:
        stream._doc = None
        stream.release()


def test_report_lists_the_stack_and_every_feature(fresh_features):
    report = compat.report()
    assert f"bokeh {bokeh_version}" in report and f"panel {pn.__version__}" in report
    for feature in compat.FEATURES:
        assert feature.name in report


def test_answer_at_once_removes_panels_debounce_for_one_widget(fresh_features):
    slider, other = pn.widgets.FloatSlider(), pn.widgets.FloatSlider()
    compat.answer_at_once(slider)
    assert slider._debounce == 0 and other._debounce == 50


def test_quiet_changes_are_in_place_without_events(fresh_features):
    doc = Document()
    div, source = Div(text="a"), ColumnDataSource(data={"x": [1.0], "y": [2.0]})
    doc.add_root(div)
    doc.add_root(source)
    events = []
    doc.on_change(lambda event: events.append(event))
    compat.set_quietly(div, "text", "b")
    compat.replace_columns_quietly(source, {"x": [3.0]})
    compat.append_quietly(source, {"x": [4.0, 5.0]}, rollover=2)
    assert div.text == "b" and dict(source.data) == {"x": [4.0, 5.0]}
    assert events == []


def test_a_column_holding_points_is_a_list_from_the_first_list_update(fresh_features):
    source = ColumnDataSource(data={"x": [1.0, 2.0], "y": [7.0, 8.0]})
    compat.append_quietly(source, {"x": np.array([3.0, 4.0, 5.0]), "y": np.array([6.0] * 3)},
                          rollover=4)
    x = compat.column(source, "x")
    assert isinstance(x, list) and x == [2.0, 3.0, 4.0, 5.0]  # extended, not copied whole
    empty = ColumnDataSource(data={"x": []})
    compat.append_quietly(empty, {"x": np.array([6.0])}, rollover=4)
    assert isinstance(compat.column(empty, "x"), np.ndarray)  # an empty one: the array's kind
    compat.append_quietly(empty, {"x": [7.0]}, rollover=4)  # e.g. after a big catch-up
    x = compat.column(empty, "x")
    assert isinstance(x, list) and x == [6.0, 7.0]  # list updates extend it from now on
    compat.append_quietly(empty, {"x": [8.0]}, rollover=4)
    assert compat.column(empty, "x") is x


def test_a_fixed_id_source(fresh_features):
    source = compat.source_with_id("brownian-test-id", data={"x": [1.0]}, name="path")
    assert source.id == "brownian-test-id" and source.name == "path"


def test_bokehs_own_patch_curdoc_leaks_a_document_only_before_3_10():
    attacked = Document()
    with pytest.raises(ValueError):
        with bokeh_curdoc.BOKEH_PATCH_CURDOC(attacked):
            raise ValueError("a client's bad patch")
    if BOKEH_FIXED_PATCH_CURDOC:
        assert curdoc() is not attacked
        return
    try:
        assert curdoc() is attacked  # why the repair exists
    finally:
        bokeh_doc._PATCHED_CURDOCS.pop()


def test_patch_curdoc_restores_after_a_block_that_raised(fresh_features):
    compat.make_patch_curdoc_exception_safe()
    compat.make_patch_curdoc_exception_safe()  # idempotent
    attacked, other = Document(), Document()
    with pytest.raises(ValueError):
        with bokeh_doc.patch_curdoc(attacked):
            assert curdoc() is attacked
            raise ValueError("a client's bad patch")
    assert curdoc() is not attacked
    with bokeh_doc.patch_curdoc(other):
        assert curdoc() is other
    assert curdoc() is not other
    if BOKEH_FIXED_PATCH_CURDOC:  # Bokeh's own, left in place
        assert bokeh_doc.patch_curdoc is bokeh_curdoc.BOKEH_PATCH_CURDOC
    else:
        assert bokeh_doc.patch_curdoc is bokeh_curdoc.exception_safe_patch_curdoc


def test_the_quiet_close_is_probed_on_bokehs_own_on_close(fresh_features):
    from bokeh.server.views.ws import WSHandler

    compat.close_quietly_after_session_destroyed()
    assert WSHandler.on_close._brownian_panel
    compat.CLOSE_AFTER_DESTROY.reset()  # probed again once replaced: still on
    assert compat.CLOSE_AFTER_DESTROY.state == compat.ON


def test_the_connection_lost_code_renews_the_receiver_only_when_the_shape_is_there(
        fresh_features):
    assert "new lost._receiver.constructor()" in compat.fresh_receiver_js()
    fresh_features.setenv(compat.PUBLIC_PATHS_ENV, compat.FRESH_RECEIVER.name)
    compat.FRESH_RECEIVER.reset()
    assert compat.fresh_receiver_js() == ""  # BokehJS's own reconnection, and one WARNING


def _subclasses(cls: type) -> set[type]:
    found, todo = set(), [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_class_defaults_computed_once_are_bokehs_own(fresh_features):
    import panel.models  # noqa: F401  (Panel's Bokeh models too)
    from bokeh.core.has_props import HasProps
    from bokeh.core.properties import Int, Override
    from bokeh.plotting import figure

    compat.compute_defaults_once()
    compat.compute_defaults_once()  # idempotent
    installed = inspect.getattr_static(HasProps, "_overridden_defaults")
    if BOKEH_FIXED_PATCH_CURDOC:  # Bokeh 3.10 computes them once itself: left in place
        assert installed is bokeh_defaults.BOKEH_OVERRIDDEN_DEFAULTS
    else:
        assert installed.__func__ is bokeh_defaults._overridden_defaults

    class Base(HasProps):
        size = Int(1)

    class Larger(Base):
        size = Override(default=2)

    class Largest(Larger):
        size = Override(default=3)

    bokehs_own = bokeh_defaults.BOKEH_OVERRIDDEN_DEFAULTS.__func__
    classes = _subclasses(HasProps)
    assert len(classes) > 300
    for cls in classes:  # twice: the first call computes, the second reads what was kept
        assert cls._overridden_defaults() == bokehs_own(cls), cls
        assert cls._overridden_defaults() == bokehs_own(cls), cls
    assert (Base().size, Larger().size, Largest().size) == (1, 2, 3)
    plot = figure()
    assert (plot.width, plot.outline_line_color, plot.xgrid[0].grid_line_color) == (
        600, "#e5e5e5", "#e5e5e5")


def test_unstable_defaults_answered_once_are_bokehs_own(fresh_features):
    import panel.models  # noqa: F401  (Panel's Bokeh models too)
    from bokeh.core.has_props import HasProps
    from bokeh.core.property.descriptors import PropertyDescriptor
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    compat.compute_defaults_once()
    compat.compute_defaults_once()  # idempotent
    assert compat.UNSTABLE_CACHE.on
    installed = inspect.getattr_static(PropertyDescriptor, "has_unstable_default")
    assert installed is bokeh_defaults._has_unstable_default
    bokehs_own = bokeh_defaults.BOKEH_HAS_UNSTABLE_DEFAULT
    answers = {True: 0, False: 0}
    for cls in _subclasses(HasProps):
        obj = cls.__new__(cls)  # the answer reads only the class
        for name in cls.properties():
            descriptor = cls.lookup(name)
            if inspect.getattr_static(type(descriptor), "has_unstable_default") is installed:
                for _ in range(2):  # the first call asks Bokeh, the second reads what was kept
                    answer = descriptor.has_unstable_default(obj)
                    assert answer == bokehs_own(descriptor, obj), (cls, name)
                answers[answer] += 1
    assert min(answers.values()) > 500, answers
    # What depends on it: a mutable or Instance default is made for each new model.
    first, second = figure(), figure()
    assert first.renderers is not second.renderers and first.x_range is not second.x_range
    assert ColumnDataSource().data is not ColumnDataSource().data


def test_themed_values_read_directly_are_bokehs_own(fresh_features):
    from bokeh.core.has_props import HasProps
    from bokeh.document import Document
    from bokeh.models import Div
    from bokeh.plotting import figure
    from bokeh.themes import Theme

    compat.compute_defaults_once()
    assert compat.THEMED_VALUES.on
    assert inspect.getattr_static(HasProps, "themed_values") is bokeh_defaults._themed_values
    bokehs_own = bokeh_defaults.BOKEH_THEMED_VALUES
    doc, plain = Document(), figure()
    themed, div = figure(), Div(text="own")
    doc.add_root(themed)
    doc.add_root(div)
    doc.theme = Theme(json={"attrs": {"Plot": {"outline_line_color": "red"},
                                      "Div": {"text": "themed", "width": 123}}})
    for model in (plain, *plain.references(), themed, *themed.references(), div):
        assert model.themed_values() == bokehs_own(model), model
    assert (themed.outline_line_color, plain.outline_line_color) == ("red", "#e5e5e5")
    assert (div.text, div.width) == ("own", 123)  # a value set wins over the theme's
    assert div.themed_values() == {"text": "themed", "width": 123}
    doc.theme = None  # the default theme: nothing of it left
    assert themed.outline_line_color == "#e5e5e5" and div.width is None
    assert themed.themed_values() is bokehs_own(themed) is None


def test_property_type_names_kept_are_bokehs_own(fresh_features):
    import panel.models  # noqa: F401  (Panel's Bokeh models too)
    from bokeh.core.has_props import HasProps
    from bokeh.core.properties import Dict, Int, List, String
    from bokeh.core.property.bases import ParameterizedProperty
    from bokeh.models import Div

    compat.name_property_types_once()
    compat.name_property_types_once()  # idempotent
    assert compat.PROPERTY_NAMES.on
    assert inspect.getattr_static(ParameterizedProperty, "__str__") is (
        bokeh_property_names._str)
    bokehs_own, named = bokeh_property_names.BOKEH_STR, 0
    for cls in _subclasses(HasProps):
        for name in cls.properties():
            prop = cls.lookup(name).property
            if inspect.getattr_static(type(prop), "__str__") is bokeh_property_names._str:
                for _ in range(2):  # the first call makes the name, the second reads it
                    assert str(prop) == bokehs_own(prop), (cls, name)
                named += 1
    assert named > 1000, named
    # Each type keeps its own name (not its class's), and a refused value still says it.
    assert (str(Dict(String, Int)), str(Dict(String, List(String)))) == (
        "Dict(String, Int)", "Dict(String, List(String))")
    with pytest.raises(ValueError, match=r"either Dict\(String, Nullable\(String\)\) or Inst"):
        Div(styles={"color": 1})


class _Widget:
    def _changed(self, doc, ref, attr, old, new): ...

    def _event(self, event): ...


def test_callback_checks_kept_answer_as_bokehs_own(fresh_features):
    import functools

    from bokeh.models import Div
    from bokeh.util import callback_manager

    compat.check_callbacks_once()
    compat.check_callbacks_once()  # idempotent
    assert compat.CALLBACK_CHECKS.on
    assert callback_manager._check_callback is bokeh_callbacks._check_callback

    def three(attr, old, new): ...

    def defaults(attr, old, new, extra=1): ...

    widget = _Widget()
    fargs = ("attr", "old", "new")
    callbacks = [three, defaults, widget._changed, widget._event, lambda attr, old, new: None,
                 functools.partial(widget._changed, None, "ref"),
                 functools.partial(widget._changed, None), functools.partial(three, 1),
                 functools.partial(widget._changed, None, ref="ref"),
                 functools.partial(widget._changed, doc=None, ref="ref"), print, len]
    for callback in callbacks:
        try:
            bokeh_callbacks.BOKEH_CHECK(callback, fargs)
            expected = None
        except ValueError as error:
            expected = str(error)
        for _ in range(2):  # the second answer may come from what was kept
            try:
                bokeh_callbacks._check_callback(callback, fargs)
                outcome = None
            except ValueError as error:
                outcome = str(error)
            assert outcome == expected, callback
    # Kept per function and shape: another partial of the same shape is not checked again,
    # one of another shape is, and a wrong one is refused by a model every time.
    kept = bokeh_callbacks._PASSED[_Widget._changed]
    assert ((True, 2, ()), fargs) in kept and ((True, 1, ()), fargs) not in kept
    div = Div()
    for _ in range(2):
        div.on_change("text", functools.partial(widget._changed, None, "another ref"))
        with pytest.raises(ValueError, match=r"must have signature func\(attr, old, new\)"):
            div.on_change("text", functools.partial(widget._changed, None))
        with pytest.raises(ValueError, match=r"must have signature func\(attr, old, new\)"):
            div.on_change("text", widget._event)
