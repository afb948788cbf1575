"""Whether Panel holds unsent messages for a document, and sending those it stranded (Panel
1.9-1.10).

Panel queues a session's changes in ``panel.io.document``: ``_WRITE_BLOCK`` while a write task
is pending, and the queue itself, ``_WRITE_MSGS`` (Panel 1.9, encoded messages) or
``_WRITE_EVENTS`` (Panel 1.10, holoviz/panel#8716: events serialised at write time). A direct
write while Panel holds something would overtake it.

Panel's write task (``_dispatch_msgs``) removes the block once its writes are done, also when
a change was queued while it awaited them; that change's own task, seeing no block, returns at
once: the change stays queued and is never sent (docs/upstream.md, report 7).
``send_stranded_writes`` starts Panel's writer again for such a document.
"""

from __future__ import annotations

import functools
import inspect
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


def _probe_stranded() -> None:
    from panel.io import document as panel_document

    _probe()
    expect(callable(getattr(panel_document, "_dispatch_write_task", None)),
           "panel.io.document._dispatch_write_task(doc, func, *args)")
    expect(inspect.iscoroutinefunction(getattr(panel_document, "_dispatch_msgs", None)),
           "panel.io.document._dispatch_msgs(doc), a coroutine")


STRANDED_WRITES = Feature(
    "send-stranded-writes",
    uses="panel.io.document._WRITE_BLOCK, its write queue, _dispatch_write_task, _dispatch_msgs",
    written_for="Panel 1.9.4, 1.10.0",
    stands_in_for="Panel sending every change it queued (its write task can end the block of a "
                  "change queued meanwhile, which then stays unsent)",
    fallback="Panel as is: such a change (e.g. a part of the page built after its first point) "
             "never reaches the page",
    probe=_probe_stranded,
)


def send_stranded_writes(document: Document) -> bool:
    """If Panel holds queued writes for ``document`` and no write task will send them (its
    queue without its block), block it again and start Panel's writer; whether it did. Call on
    the server's event loop."""
    if not STRANDED_WRITES.on:
        return False
    block, queue = _queues()
    if document not in queue or document in block:
        return False
    from panel.io import document as panel_document

    block[document] = True
    panel_document._dispatch_write_task(document, panel_document._dispatch_msgs, document)
    return True
