"""Undo Bokeh's process-wide ``curdoc()`` leak after a failed patch.

``bokeh.io.doc.patch_curdoc`` pushes a document on a module-level stack and pops it after its
block without ``try/finally`` (Bokeh 3.9.2). When applying a client's patch raises (an unknown
model id, a string for a number), the attacked session's document stays on the stack: from
then on ``bokeh.io.curdoc()`` outside any session returns it, and every such message grows the
stack by one entry. Patches are applied synchronously on the event loop, so between two event
loop callbacks the stack is empty unless something leaked; ``drop_leaked_curdocs`` empties it
and returns how many entries it dropped. Call it only from a plain event-loop callback.
"""

from __future__ import annotations

from bokeh.io import doc as bokeh_doc


def drop_leaked_curdocs() -> int:
    """Empty Bokeh's ``patch_curdoc`` stack; returns the number of leaked entries."""
    stack = getattr(bokeh_doc, "_PATCHED_CURDOCS", None)
    if not stack:
        return 0
    leaked = len(stack)
    stack.clear()
    return leaked
