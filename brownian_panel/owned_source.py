"""A ``ColumnDataSource`` whose data only Python may change.

The path is drawn in Python and shown by the browser; a browser never has a reason to write it.
Yet Bokeh applies any data change a client sends (``ColumnsStreamed``, ``ColumnsPatched``, a new
``data``), and in a notebook Panel's comm manager sends every streamed batch straight back to
the kernel, which would append it a second time. ``refuse_client_writes`` makes the source drop
such changes: Bokeh passes a ``setter`` (the session or comm that sent the change) for changes
from a client and none for Python's own, so only client changes are refused.
"""

from __future__ import annotations

import logging
from typing import Any

from bokeh.models import ColumnDataSource

log = logging.getLogger(__name__)


def refuse_client_writes(source: ColumnDataSource) -> ColumnDataSource:
    """Make ``source`` ignore data changes that come from a client; returns the source."""
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
