"""The process-wide walk of `plain_bokeh_shared.py`: one point every BROWNIAN_PERIOD ms (default
100), streamed into every session's source the way Bokeh's docs share data between sessions:
``doc.add_next_tick_callback`` per session, each under its own document lock."""
from __future__ import annotations

import os
import time
from functools import partial

import numpy as np
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from tornado.ioloop import IOLoop, PeriodicCallback

#: Points each session's source keeps.
WINDOW = 10_000

_sources: dict[Document, ColumnDataSource] = {}
_walk = {"position": 0.0, "producer": None}
_rng = np.random.default_rng()


def _produce() -> None:
    _walk["position"] += _rng.normal()
    # x: the production time (epoch ms), so a viewer's read time gives the latency.
    data = {"x": [time.time() * 1000], "y": [_walk["position"]]}
    for doc, source in list(_sources.items()):
        doc.add_next_tick_callback(partial(source.stream, data, WINDOW))


def follow(doc: Document, source: ColumnDataSource) -> None:
    """Stream the walk into ``source`` of ``doc`` until its session ends."""
    _sources[doc] = source
    doc.on_session_destroyed(lambda context: _sources.pop(doc, None))
    if _walk["producer"] is None:
        period = int(os.environ.get("BROWNIAN_PERIOD", "100"))
        _walk["producer"] = PeriodicCallback(_produce, period)
        IOLoop.current().add_callback(_walk["producer"].start)
