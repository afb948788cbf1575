"""An exception-safe ``bokeh.io.doc.patch_curdoc`` for Bokeh before 3.10.

Bokeh 3.9.2's ``patch_curdoc`` pushes a document on the module-level list ``_PATCHED_CURDOCS``
and pops it after its block without ``try/finally``: when applying a client's patch raises (an
unknown model id, a string for a number), the attacked session's document stays on the list,
``bokeh.io.curdoc()`` outside any session returns it, and the list grows with every such
message. Bokeh 3.10 fixed it (a ``ContextVar`` and ``try/finally``): there the repair is not
needed and not applied.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from bokeh.io import doc as bokeh_doc

from .feature import Feature, NotNeeded, expect

#: Bokeh's own ``patch_curdoc`` (3.9.2 leaks a document when its block raises).
BOKEH_PATCH_CURDOC = bokeh_doc.patch_curdoc


def _probe() -> None:
    patched = getattr(bokeh_doc, "_PATCHED_CURDOCS", None)
    if patched is not None and not isinstance(patched, list):
        raise NotNeeded(f"Bokeh's _PATCHED_CURDOCS is a {type(patched).__name__}: fixed "
                        "upstream (Bokeh 3.10)")
    expect(isinstance(patched, list), "bokeh.io.doc._PATCHED_CURDOCS, a list")
    expect(callable(getattr(bokeh_doc, "patch_curdoc", None)), "bokeh.io.doc.patch_curdoc")


CURDOC_REPAIR = Feature(
    "exception-safe-patch-curdoc",
    uses="bokeh.io.doc._PATCHED_CURDOCS (a list) and patch_curdoc, replaced process-wide",
    written_for="Bokeh 3.9.2 (3.10 fixed it upstream: not needed there)",
    stands_in_for="Bokeh's own patch_curdoc once it pops in a finally",
    fallback="Bokeh's patch_curdoc (a client's bad patch leaks its document into curdoc())",
    probe=_probe,
)


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
    """Use ``exception_safe_patch_curdoc`` for Bokeh's ``patch_curdoc`` where Bokeh needs it
    (idempotent; Bokeh looks the function up at each use, so it takes effect at once)."""
    if CURDOC_REPAIR.on:
        bokeh_doc.patch_curdoc = exception_safe_patch_curdoc
