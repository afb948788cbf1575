"""The direct stream write: same message, same columns as Bokeh's own ``source.stream``."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from bokeh.document import Document
from bokeh.document.events import ColumnsStreamedEvent
from bokeh.models import ColumnDataSource
from bokeh.protocol import Protocol

from brownian_panel.driver.wire import (
    append_columns,
    can_write_now,
    message_frames,
    stream_message,
    websocket_frame,
)


def _source(x, y) -> ColumnDataSource:
    source = ColumnDataSource(data={"x": x, "y": y})
    Document().add_root(source)
    return source


def _parse_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Split unmasked WebSocket frames back into (opcode, payload)."""
    frames = []
    while data:
        first, second = data[0], data[1]
        assert first & 0x80, "FIN bit set"
        assert not second & 0x80, "server frames are not masked"
        length, offset = second & 0x7F, 2
        if length == 126:
            (length,), offset = struct.unpack("!H", data[2:4]), 4
        elif length == 127:
            (length,), offset = struct.unpack("!Q", data[2:10]), 10
        frames.append((first & 0x0F, data[offset:offset + length]))
        data = data[offset + length:]
    return frames


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_frame_lengths_round_trip(size):
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert _parse_frames(websocket_frame(payload)) == [(0x1, payload)]
    assert _parse_frames(websocket_frame(payload, 0x2)) == [(0x2, payload)]


@pytest.mark.parametrize("data", [
    {"x": [1.0, 2.0], "y": [0.5, -0.25]},
    {"x": np.arange(1.0, 41.0), "y": np.linspace(-1, 1, 40)},
])
def test_message_matches_bokehs_patch_doc(data):
    source = _source([], [])
    ours = stream_message(source, data, rollover=100)
    event = ColumnsStreamedEvent(source.document, source, "data", data, 100, None)
    bokehs = Protocol().create("PATCH-DOC", [event])
    assert ours.header["msgtype"] == "PATCH-DOC"
    assert ours.header["num_buffers"] == bokehs.header["num_buffers"]
    assert ours.header["msgid"] != bokehs.header["msgid"]

    def without_ids(content: str) -> str:
        text = content
        for buffer in bokehs.buffers + ours.buffers:
            text = text.replace(json.dumps(buffer.id), '"ID"')
        return text

    assert without_ids(ours.content_json) == without_ids(bokehs.content_json)
    assert [b.to_bytes() for b in ours.buffers] == [b.to_bytes() for b in bokehs.buffers]


def test_frames_carry_header_metadata_content_then_buffers():
    source = _source([], [])
    message = stream_message(source, {"x": np.arange(3.0), "y": np.ones(3)}, rollover=None)
    frames = _parse_frames(message_frames(message))
    assert [opcode for opcode, _ in frames] == [1, 1, 1, 1, 2, 1, 2]
    assert json.loads(frames[0][1]) == message.header
    assert json.loads(frames[1][1]) == {}
    assert frames[2][1] == message.content_json.encode()
    assert json.loads(frames[3][1]) == {"id": message.buffers[0].id}
    assert np.frombuffer(frames[4][1]).tolist() == [0.0, 1.0, 2.0]
    assert np.frombuffer(frames[6][1]).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("start, new, rollover", [
    (([], []), ([1.0], [0.1]), None),
    (([1.0, 2.0], [0.1, 0.2]), ([3.0, 4.0], [0.3, 0.4]), 3),
    (([], []), (np.arange(5.0), np.arange(5.0)), 3),
    ((np.arange(4.0), np.arange(4.0)), (np.array([9.0]), np.array([8.0])), 2),
    ((np.arange(4.0), np.arange(4.0)), ([9.0], [8.0]), None),
    (([1.0], [2.0]), (np.array([]), np.array([])), None),
])
def test_append_matches_bokehs_stream(start, new, rollover):
    ours, bokehs = _source(*map(list, start)), _source(*map(list, start))
    if isinstance(start[0], np.ndarray):
        ours, bokehs = _source(*start), _source(*start)
    changes = []
    ours.on_change("data", lambda attr, old, new: changes.append(attr))
    append_columns(ours, {"x": new[0], "y": new[1]}, rollover)
    bokehs.stream({"x": new[0], "y": new[1]}, rollover=rollover)
    for name in ("x", "y"):
        # Bokeh's kind, except that a column holding points becomes (stays) a list when either
        # side is one: Bokeh copies it into a new array on every update from then on.
        lists = len(start[0]) and (isinstance(start[0], list) or isinstance(new[0], list))
        assert type(ours.data[name]) is (list if lists else type(bokehs.data[name]))
        np.testing.assert_array_equal(ours.data[name], bokehs.data[name])
    assert changes == [], "the Python side is updated without notifications"


def test_list_columns_are_extended_in_place():
    source = _source([1.0], [2.0])
    column = source.data["x"]
    append_columns(source, {"x": [2.0, 3.0], "y": [0.0, 0.0]}, rollover=2)
    assert source.data["x"] is column
    assert list(column) == [2.0, 3.0]


def test_no_direct_write_outside_a_server_session():
    source = _source([], [])
    assert can_write_now(source.document) is False


def test_a_change_to_a_model_the_page_was_not_sent_is_left_out_and_set(monkeypatch):
    """A part built after the page loaded: its models reach the page with Panel's layout
    change; a direct write before that must not name them (BokehJS drops such a message)."""
    from bokeh.models import Div

    from brownian_panel.driver import wire

    written = []
    monkeypatch.setattr(wire, "_write_frames",
                        lambda document, encode: written.append(encode()) or 1)
    document, shown, status = Document(), ColumnDataSource(data={"x": [1]}), Div(text="a")
    document.add_root(shown)
    document.add_root(status)
    document.models.flush_synced()  # what the page was sent
    later = ColumnDataSource(data={"x": [1]})
    document.add_root(later)  # a later part, not sent yet
    cache = wire.FramesCache()
    with wire.one_write(document, cache):
        wire.write_changes(document, data={shown: {"x": [2]}, later: {"x": [3]}},
                           properties=[(status, "text", "b")], key="k")
    content = json.loads(_parse_frames(written[0])[2][1])
    ids = {event["model"]["id"] for event in content["events"]}
    assert ids == {shown.id, status.id}
    assert list(later.data["x"]) == [3], "its Python side is set: the page gets it with the model"
    assert cache.encoded == 0, "this page's own message: not shared with pages that have it"
    document.models.flush_synced()  # the layout change sent it
    with wire.one_write(document, cache):
        wire.write_changes(document, data={later: {"x": [4]}}, key="k")
    assert cache.encoded == 1
    content = json.loads(_parse_frames(written[-1])[2][1])
    assert [event["model"]["id"] for event in content["events"]] == [later.id]
