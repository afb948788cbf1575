"""The PATCH-DOC content of the events this app writes, built directly in Bokeh's wire format.

Bokeh's ``Serializer`` passes every value (each number of a list) through a generic dispatch:
a sixth of an own page's update at 10 Hz (py-spy). The four kinds of event the wire module
writes, with plain values (finite numbers, strings, lists of them, numeric arrays), are built
here; anything else returns None, and the caller encodes the whole message with Bokeh's.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

import numpy as np
from bokeh.core.serialization import Buffer
from bokeh.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    ModelChangedEvent,
)

#: Integers JavaScript holds exactly (Bokeh's bound): beyond, Bokeh warns and sends a float.
_MAX_SAFE_INT = 2**53 - 1

#: Array types sent as bytes exactly as Bokeh sends them (others: Bokeh transforms them), in
#: this machine's byte order, by their names (a dtype's ``name`` is computed at each read).
_BINARY_DTYPES = {np.dtype(name): name for name in ("float64", "float32", "int32", "int16",
                                                     "int8", "uint32", "uint16", "uint8")}


#: Ids of the buffers made here: unique in the process, so within every message (Bokeh's
#: ``make_id`` reads its settings at each call).
_buffer_ids = itertools.count(1)


class _Unplain(Exception):
    """A value this module does not encode: the message goes to Bokeh's serializer."""


def encode_events(events: list[Any]) -> tuple[dict[str, Any], list[Buffer]] | None:
    """``({"events": [...]}, buffers)`` as Bokeh's ``Serializer`` would make them for a
    PATCH-DOC of ``events``, or None if one of them is not plain."""
    buffers: list[Buffer] = []
    try:
        return {"events": [_event(event, buffers) for event in events]}, buffers
    except _Unplain:
        return None


def _event(event: Any, buffers: list[Buffer]) -> dict[str, Any]:
    kind = type(event)
    model = {"id": event.model.id}
    if kind is ColumnsStreamedEvent:
        return {"kind": "ColumnsStreamed", "model": model, "attr": event.attr,
                "data": _map(event.data, buffers), "rollover": _value(event.rollover, buffers)}
    if kind is ColumnsPatchedEvent:
        return {"kind": "ColumnsPatched", "model": model, "attr": event.attr,
                "patches": _map(event.patches, buffers)}
    if kind is ModelChangedEvent:
        return {"kind": "ModelChanged", "model": model, "attr": event.attr,
                "new": _value(event.new, buffers)}
    if kind is ColumnDataChangedEvent and event.data is not None:
        data, cols = event.data, event.cols
        if cols is not None:
            data = {col: value for col in cols if (value := data.get(col)) is not None}
        return {"kind": "ColumnDataChanged", "model": model, "attr": event.attr,
                "data": _map(data, buffers), "cols": _value(cols, buffers)}
    raise _Unplain


def _map(values: dict, buffers: list[Buffer]) -> dict[str, Any]:
    if not values:
        return {"type": "map"}
    return {"type": "map", "entries": [[_key(key), _value(value, buffers)]
                                       for key, value in values.items()]}


def _key(key: Any) -> str:
    if type(key) is not str:
        raise _Unplain
    return key


def _value(value: Any, buffers: list[Buffer]) -> Any:
    kind = type(value)
    if kind is float:
        if value - value != 0:  # nan or ±inf: Bokeh's {"type": "number", ...}
            raise _Unplain
        return value
    if kind is int:
        if not -_MAX_SAFE_INT < value <= _MAX_SAFE_INT:
            raise _Unplain
        return value
    if kind is str or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        return [_value(item, buffers) for item in value]
    if kind is np.ndarray:
        return _array(value, buffers)
    raise _Unplain


def _array(array: np.ndarray, buffers: list[Buffer]) -> dict[str, Any]:
    dtype = _BINARY_DTYPES.get(array.dtype)
    if dtype is None or not array.flags.c_contiguous:
        raise _Unplain
    buffer = Buffer(f"bpb{next(_buffer_ids)}", array.data)
    buffers.append(buffer)
    return {"type": "ndarray", "array": {"type": "bytes", "data": buffer},
            "shape": list(array.shape), "dtype": dtype, "order": sys.byteorder}
