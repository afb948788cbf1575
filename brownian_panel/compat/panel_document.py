"""Whether Panel holds unsent messages for a document (Panel 1.9-1.10).

Panel queues a session's changes in ``panel.io.document``: ``_WRITE_BLOCK`` while a write task
is pending, and the queue itself, ``_WRITE_MSGS`` (Panel 1.9, encoded messages) or
``_WRITE_EVENTS`` (Panel 1.10, holoviz/panel#8716: events serialised at write time). A direct
write while Panel holds something would overtake it.
"""

from __future__ import annotations

import functools
from typing import Any
from weakref import WeakKeyDictionary

from bokeh.document import Document

from .feature import Feature, expect

#: Panel's name for its queue of unsent writes, newest first.
_QUEUE_NAMES = ("_WRITE_EVENTS", "_WRITE_MSGS")


@functools.cache  # module-level dictionaries, never replaced; asked for every update
def _queues() -> tuple[Any, Any]:
    from panel.io import document as panel_document

    block = getattr(panel_document, "_WRITE_BLOCK", None)
    queue = next((getattr(panel_document, name) for name in _QUEUE_NAMES
                  if hasattr(panel_document, name)), None)
    return block, queue


def _probe() -> None:
    block, queue = _queues()
    expect(isinstance(block, WeakKeyDictionary), "panel.io.document._WRITE_BLOCK")
    expect(isinstance(queue, WeakKeyDictionary),
           "panel.io.document._WRITE_EVENTS (1.10) or _WRITE_MSGS (1.9)")


PANEL_WRITE_QUEUE = Feature(
    "panel-write-queue",
    uses="panel.io.document._WRITE_BLOCK and _WRITE_EVENTS (1.10) / _WRITE_MSGS (1.9)",
    written_for="Panel 1.9.4, 1.10.0",
    stands_in_for="asking Panel whether a session has writes pending",
    fallback="source.stream under the document lock",
    probe=_probe,
)


def panel_holds_writes(document: Document) -> bool:
    """Whether Panel holds unsent writes for ``document`` (True when it cannot be told)."""
    if not PANEL_WRITE_QUEUE.on:
        return True
    block, queue = _queues()
    return document in block or document in queue
