"""Make Bokeh's ``patch_curdoc`` exception-safe.

``bokeh.io.doc.patch_curdoc`` pushes a document on a module-level stack and pops it after its
block without ``try/finally`` (Bokeh 3.9.2). When applying a client's patch raises (an unknown
model id, a string for a number), the attacked session's document stays on the stack: from
then on ``bokeh.io.curdoc()`` outside any session returns it, and every such message grows the
stack by one entry. ``make_patch_curdoc_exception_safe`` swaps in the same context manager with
the pop in a ``finally``; Bokeh looks the function up at each use (``invoke_with_curdoc``), so
the swap takes effect at once. It changes nothing for a block that does not raise.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from bokeh.io import doc as bokeh_doc

#: Bokeh's own ``patch_curdoc``, kept to show the leak it has.
BOKEH_PATCH_CURDOC = bokeh_doc.patch_curdoc


@contextmanager
def exception_safe_patch_curdoc(doc) -> Iterator[None]:
    """``bokeh.io.doc.patch_curdoc`` with the pop in a ``finally``."""
    bokeh_doc._PATCHED_CURDOCS.append(weakref.ref(doc))
    del doc
    try:
        yield
    finally:
        bokeh_doc._PATCHED_CURDOCS.pop()


def make_patch_curdoc_exception_safe() -> None:
    """Use ``exception_safe_patch_curdoc`` for Bokeh's ``patch_curdoc`` (idempotent)."""
    if hasattr(bokeh_doc, "_PATCHED_CURDOCS"):
        bokeh_doc.patch_curdoc = exception_safe_patch_curdoc
