"""The events the wire module writes, encoded directly, are byte for byte what Bokeh's protocol
makes of them; anything else is left to Bokeh's serializer."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from bokeh.document import Document
from bokeh.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    ModelChangedEvent,
)
from bokeh.models import ColumnDataSource, Div, Range1d
from bokeh.protocol import Protocol

from brownian_panel.driver.encode import encode_events
from brownian_panel.driver.wire import _event_message, message_frames

from .test_wire import _parse_frames


def _without_ids(message, written: bool = False) -> str:
    """The message's content (``written``: as its frames carry it) with its buffers' ids
    replaced by their order."""
    text = _parse_frames(message_frames(message))[2][1].decode() if written else (
        message.content_json)
    for number, buffer in enumerate(message.buffers):
        text = text.replace(json.dumps(buffer.id), f'"buffer {number}"')
    return text


@pytest.fixture
def models():
    doc = Document()
    source, div = ColumnDataSource(data={"x": [1.0, 2.0], "y": [3.0, 4.0]}), Div(text="a")
    doc.add_root(source)
    doc.add_root(div)
    return doc, source, div


def _events(doc, source, div, kind: str) -> list:
    if kind == "stream lists":
        return [ColumnsStreamedEvent(doc, source, "data", {"x": [3.0, 4], "y": [-0.5, 1e300]},
                                     1000, None)]
    if kind == "stream arrays":
        return [ColumnsStreamedEvent(doc, source, "data", {
            "x": np.arange(5, dtype=np.int32), "y": np.linspace(-1.0, 1.0, 5)}, None, None)]
    if kind == "a whole update":
        return [ColumnDataChangedEvent(doc, source, "data", data={
            "x": np.arange(3.0), "y": [1.0, 2.0, 3.0], "t": None}, cols=["x", "y", "t"])]
    if kind == "patch, stream and status":
        return [ColumnsPatchedEvent(doc, source, "data", {"x": [(1, 5.0)], "y": [(1, 6.5)]}),
                ColumnsStreamedEvent(doc, source, "data", {"x": [7.0], "y": [8.0]}, None, None),
                ModelChangedEvent(doc, div, "text", "History: 1,000 points"),
                ModelChangedEvent(doc, div, "visible", False)]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["stream lists", "stream arrays", "a whole update",
                                  "patch, stream and status"])
def test_plain_events_are_encoded_as_bokeh_encodes_them(models, kind):
    doc, source, div = models
    events = _events(doc, source, div, kind)
    assert encode_events(events) is not None  # built here, not by Bokeh's serializer
    ours = _event_message(events, {source, div})
    bokehs = Protocol().create("PATCH-DOC", events)
    assert _without_ids(ours, written=True) == _without_ids(bokehs)
    assert [b.to_bytes() for b in ours.buffers] == [b.to_bytes() for b in bokehs.buffers]


@pytest.mark.filterwarnings("ignore:out of range integer")  # Bokeh's, for 2**60
@pytest.mark.parametrize("value", [
    [float("nan")], [float("inf")], [2**60], [np.float64(1.0)], np.arange(3, dtype=np.int64),
    np.arange(6.0)[::2], np.arange(3.0).astype(">f8" if sys.byteorder == "little" else "<f8"),
    [{"nested": 1.0}]])
def test_other_values_go_to_bokehs_serializer_and_arrive_the_same(models, value):
    doc, source, div = models
    events = [ColumnsStreamedEvent(doc, source, "data", {"x": value}, None, None)]
    assert encode_events(events) is None
    ours, bokehs = _event_message(events, {source, div}), Protocol().create("PATCH-DOC", events)
    assert _without_ids(ours, written=True) == _without_ids(bokehs)


def test_a_model_as_a_value_goes_to_bokehs_serializer(models):
    doc, source, div = models
    assert encode_events([ModelChangedEvent(doc, div, "tags", [Range1d()])]) is None
