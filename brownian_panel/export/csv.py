"""Exact CSV export of the whole history, written in chunks.

Design notes: docs/architecture.md, "export/csv.py".
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

from ..model.ensemble import EnsembleHistory
from ..model.history import History
from ..model.walk import BrownianMotion

#: Rows per chunk: about 0.5 MB of text and 10 ms of formatting here, so a download of 10^7
#: points interleaves with the server's other work instead of blocking it.
CHUNK_POINTS = 16_384

#: Path of the download route, below the server's prefix.
EXPORT_PATH = "/brownian-export"

#: Module defining the HTTP route; Panel imports it only when serving with ``--plugins``.
ROUTE_MODULE = "brownian_panel.export.route"

#: The form of the header line, for readers to check.
FORMAT = "brownian_panel csv 1"


class ExportInterrupted(RuntimeError):
    """The history changed under an export (restart, or oldest points dropped)."""


class Export:
    """The CSV export of one model's history: columns x,y for one path; x,y0,y1,... from the
    ensemble's store for several."""

    def __init__(self, model: BrownianMotion, history: History,
                 ensemble: EnsembleHistory | None = None):
        self.model = model
        self.history = history
        self.ensemble = ensemble

    @property
    def _store(self) -> History | EnsembleHistory:
        if self.model.paths > 1 and self.ensemble is not None:
            return self.ensemble
        return self.history

    @property
    def filename(self) -> str:
        return f"brownian-run{self.model.run}-{self._store.stop}-steps.csv"

    def header(self, start: int, stop: int, paths: int = 1) -> str:
        """The comment line and the column names for rows [start, stop)."""
        model = self.model
        parameters = {name: value for name, value in model.param.values().items()
                      if name != "name"}
        description = {
            "format": FORMAT,
            "parameters": parameters,
            "seed": model.seed,
            "entropy": model.entropy,
            "variance_schedule": [list(segment) for segment in model.schedule.segments],
            "first_x": start + 1,
            "paths": paths,
            "steps": stop - start,
            "points": (stop - start) * paths,
            "dropped_before": start,
        }
        names = "y" if paths == 1 else ",".join(f"y{index}" for index in range(paths))
        return "# " + json.dumps(description) + f"\nx,{names}\n"

    def chunks(self) -> Iterator[str]:
        """The CSV text in blocks of about ``CHUNK_POINTS`` values (the first is the header)."""
        store, run = self._store, self.model.run
        paths = store.paths if isinstance(store, EnsembleHistory) else 1
        start, stop = store.start, store.stop
        yield self.header(start, stop, paths)
        steps = max(1, CHUNK_POINTS // paths)
        for block in range(start, stop, steps):
            end = min(block + steps, stop)
            if self.model.run != run or store.start > block or store.stop < stop:
                raise ExportInterrupted("the path restarted, its oldest points were dropped or "
                                        "its session ended during the export")
            values = store.values(block, end)
            if paths == 1:
                yield "".join([f"{x},{y!r}\n" for x, y in
                               zip(range(block + 1, end + 1), values.tolist(), strict=True)])
            else:
                yield "".join([f"{x},{','.join(map(repr, row))}\n" for x, row in
                               zip(range(block + 1, end + 1), values.T.tolist(), strict=True)])

    def write(self, file: TextIO) -> None:
        """Write the whole CSV to an open text file."""
        for chunk in self.chunks():
            file.write(chunk)


class ExportRegistry:
    """Thread-safe map from download tokens to exports."""

    def __init__(self):
        self._exports: dict[str, Export] = {}
        self._lock = threading.Lock()

    def add(self, export: Export) -> str:
        """Register ``export`` under a new random token (256 bits) and return the token."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._exports[token] = export
        return token

    def get(self, token: str) -> Export | None:
        with self._lock:
            return self._exports.get(token)

    def remove(self, token: str) -> None:
        with self._lock:
            self._exports.pop(token, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._exports)


#: The download tokens of this process's sessions.
EXPORTS = ExportRegistry()


def route_installed() -> bool:
    """Whether this server serves the export route (``panel serve --plugins
    brownian_panel.export.route`` imported it)."""
    return ROUTE_MODULE in sys.modules
