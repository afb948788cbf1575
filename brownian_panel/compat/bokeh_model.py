"""Changing a Bokeh model's Python side without notifications, and refusing clients' data writes
(Bokeh 3.9.2 and 3.10.2).

Design notes: docs/architecture.md, "compat/bokeh_model.py".
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, Div

from .feature import Feature, expect

log = logging.getLogger(__name__)


def _probe_quiet() -> None:
    div = Div(text="a")
    expect(isinstance(getattr(div, "_property_values", None), dict), "HasProps._property_values")
    div._property_values["text"] = "b"
    expect(div.text == "b", "HasProps._property_values read back by the property")
    source = ColumnDataSource(data={"x": [1]})
    columns = source.data
    expect(isinstance(columns, dict), "ColumnDataSource.data a dict subclass")
    dict.__setitem__(columns, "x", [2])
    expect(list(source.data["x"]) == [2], "column data set with dict.__setitem__ read back")


QUIET_CHANGES = Feature(
    "quiet-model-changes",
    uses="HasProps._property_values; dict.__setitem__ on PropertyValueColumnData",
    written_for="Bokeh 3.9.2, 3.10.2",
    stands_in_for="putting a change in place that the app has already sent",
    fallback="changes set normally, under the document lock",
    probe=_probe_quiet,
)


def _probe_client_hooks() -> None:
    for name in ("_stream", "patch", "set_from_json"):
        expect(callable(getattr(ColumnDataSource, name, None)), f"ColumnDataSource.{name}")
    expect("setter" in inspect.signature(ColumnDataSource._stream).parameters,
           "ColumnDataSource._stream(new_data, rollover, setter)")
    expect("setter" in inspect.signature(ColumnDataSource.set_from_json).parameters,
           "ColumnDataSource.set_from_json(name, value, *, setter)")


CLIENT_WRITE_HOOKS = Feature(
    "refuse-client-writes",
    uses="ColumnDataSource._stream / patch / set_from_json, replaced per instance",
    written_for="Bokeh 3.9.2, 3.10.2",
    stands_in_for="a read-only data source (Bokeh applies any data change a client sends)",
    fallback="clients' data changes applied as Bokeh does",
    probe=_probe_client_hooks,
)


def _probe_fixed_id() -> None:
    source = ColumnDataSource.__new__(ColumnDataSource, id="probe-id")
    source.__init__(data={"x": [1]})
    expect(source.id == "probe-id" and list(source.data["x"]) == [1],
           "Model.__new__(cls, id=...) then __init__(**properties)")


FIXED_ID = Feature(
    "fixed-model-id",
    uses="Model.__new__(cls, id=...) (Bokeh's deferred initialisation)",
    written_for="Bokeh 3.9.2, 3.10.2",
    stands_in_for="one id for the same source in every session, so one encoding serves all",
    fallback="a fresh id per session: each shared update is encoded once per viewer",
    probe=_probe_fixed_id,
)


def set_quietly(model: Any, name: str, value: Any) -> None:
    """Set a plain property without a change event (the caller sends the change)."""
    model._property_values[name] = value


def replace_columns_quietly(source: ColumnDataSource, columns: dict[str, Any]) -> None:
    """Make ``source.data`` hold exactly ``columns``, without a change event; no moment
    without the new columns, for other threads."""
    current = source.data
    dict.update(current, columns)
    for name in [name for name in current if name not in columns]:
        dict.__delitem__(current, name)


def column(source: ColumnDataSource, name: str) -> Any:
    """The column as stored (list or array), not wrapped."""
    return dict.__getitem__(source.data, name)


def set_column_quietly(source: ColumnDataSource, name: str, values: Any) -> None:
    dict.__setitem__(source.data, name, values)


def append_quietly(source: ColumnDataSource, data: dict[str, Sequence[float] | np.ndarray],
                   rollover: int | None) -> None:
    """Append to the source's columns as ``ColumnDataSource.stream`` does, without notifying.
    Without ``QUIET_CHANGES`` it streams (with notification)."""
    if not QUIET_CHANGES.on:
        source.stream(data, rollover)
        return
    for name, new in data.items():
        old = column(source, name)
        # A column holding points is a list from the first list update on, and a list stays
        # one (an array is copied whole on every update); an empty one takes the update's kind.
        if len(old) and isinstance(old, np.ndarray) and isinstance(new, list):
            old = old.tolist()
            set_column_quietly(source, name, old)
        if isinstance(old, list) and (old or not isinstance(new, np.ndarray)):
            # the list's own method: Bokeh's wrapper would notify
            list.extend(old, new.tolist() if isinstance(new, np.ndarray) else new)
            if rollover is not None and len(old) > rollover:
                list.__delitem__(old, slice(0, len(old) - rollover))
            continue
        if len(old) == 0:
            values = new
        elif len(new) == 0:
            values = old
        else:
            values = np.append(old, new)
        if rollover is not None and len(values) > rollover:
            values = values[len(values) - rollover:]
        set_column_quietly(source, name, values)


def refuse_client_writes(source: ColumnDataSource) -> ColumnDataSource:
    """Make ``source`` ignore data changes that come from a client; returns the source.

    Bokeh passes a ``setter`` (the session or comm that sent the change) for changes from a
    client and none for Python's own, so only client changes are refused."""
    if not CLIENT_WRITE_HOOKS.on:
        return source
    stream, patch, set_from_json = source._stream, source.patch, source.set_from_json

    def _stream(new_data: Any, rollover: int | None = None, setter: Any = None) -> None:
        if setter is None:
            stream(new_data, rollover, setter)
        else:
            log.debug("ignored a client's stream into %s", source.name or source.id)

    def patch_(patches: Any, setter: Any = None) -> None:
        if setter is None:
            patch(patches, setter)
        else:
            log.debug("ignored a client's patch of %s", source.name or source.id)

    def _set_from_json(name: str, value: Any, *, setter: Any = None) -> None:
        if name == "data" and setter is not None:
            log.debug("ignored a client's new data for %s", source.name or source.id)
            return
        set_from_json(name, value, setter=setter)

    # Per-instance methods; HasProps.__setattr__ only admits properties and private names.
    methods = {"_stream": _stream, "patch": patch_, "set_from_json": _set_from_json}
    for name, method in methods.items():
        object.__setattr__(source, name, method)
    return source


def model_with_id(cls: type, model_id: str | None, **properties: Any) -> Any:
    """A Bokeh model of ``cls`` with the id ``model_id`` (a fresh id if None, or without
    ``FIXED_ID``)."""
    if model_id is None or not FIXED_ID.on:
        return cls(**properties)
    model = cls.__new__(cls, id=model_id)
    model.__init__(**properties)
    return model


def source_with_id(model_id: str, **properties: Any) -> ColumnDataSource:
    """A ``ColumnDataSource`` with the id ``model_id`` (a fresh id without ``FIXED_ID``)."""
    return model_with_id(ColumnDataSource, model_id, **properties)
