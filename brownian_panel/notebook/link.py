"""``NotebookLink``: streams into a source shown in a notebook so the view holds exactly the
kernel's points (pushed at once; the whole data after the view is built or rebuilt). Why:
docs/architecture.md, "Notebook".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from panel.io.notebook import push

from ..compat import append_quietly, view_comm


def comm_connection(comm: Any) -> Any | None:
    """The comm's open Jupyter connection: None until the browser opens it."""
    try:
        return comm.comm
    except ValueError:  # "Comm has not been initialized"
        return None


def _as_lists(data: dict[str, Any]) -> dict[str, list[float]]:
    return {name: np.asarray(values, dtype=np.float64).tolist() for name, values in data.items()}


def _appended(columns: dict[str, Any], data: dict[str, Any], rollover: int | None
              ) -> dict[str, list[float]]:
    """New columns: ``columns`` then ``data``, keeping the last ``rollover`` points."""
    merged = {}
    for name, values in data.items():
        column = list(columns[name]) + list(values)
        merged[name] = column[-rollover:] if rollover else column
    return merged


class NotebookLink:
    """Streams into a source shown in a notebook so the view holds exactly the kernel's data."""

    def __init__(self, source: ColumnDataSource):
        self.source = source
        #: True once the browser has reported the view built (``view_ready``).
        self._ready = False
        #: True when the view may lack points the source holds.
        self._behind = False

    def view_ready(self) -> None:
        """The browser has built the view (from the snapshot of the document): resend it all."""
        self._ready = self._behind = True

    def stream(self, data: dict[str, Any], rollover: int | None) -> None:
        """Append ``data`` (keeping the last ``rollover`` points) and bring the view along."""
        doc = self.source.document
        if doc is None:  # not displayed: nothing to keep in step
            self.source.stream(data, rollover)
            return
        data = _as_lists(data)
        comm = self._ready_comm(doc)
        if comm is None:
            append_quietly(self.source, data, rollover)
            self._behind = True
            return
        if self._behind:
            self.source.data = _appended(self.source.data, data, rollover)
            self._behind = False
        else:
            self.source.stream(data, rollover)
        push(doc, comm)

    def push(self) -> None:
        """Send the document's held changes (e.g. a cleared path) if the view is connected."""
        doc = self.source.document
        comm = self._ready_comm(doc) if doc is not None else None
        if comm is None:
            self._behind = doc is not None
        else:
            push(doc, comm)

    def _ready_comm(self, doc: Document) -> Any | None:
        """The view's comm if the view is built and the comm open, else None."""
        comm = view_comm(doc) if self._ready else None
        return comm if comm is not None and comm_connection(comm) is not None else None
