"""Test-only Panel server plugin (``--plugins tests.apps.process_state``): ``GET /process_state``
answers, as JSON, the process's shared timers ({period: streams}) and, after a full garbage
collection, its RSS, glibc's heaps (their size, the bytes in use), how many objects are alive,
how many of the kinds a page makes, and where the queue of page parts built after the first
point stands (``runtime.later``) with the sessions whose page here is not yet whole.

A plain route, not a Panel app: asking makes no session of its own.
"""
import collections
import ctypes
import gc
import json
import os

from tornado.ioloop import IOLoop
from tornado.web import RequestHandler

from brownian_panel.runtime.later import later_for
from brownian_panel.runtime.ticker import ticker_for
from brownian_panel.views.frame import TO_COME_NAMES

#: What each page of ours makes (none should be alive once its session has ended).
PER_PAGE = ("BrownianApp", "BrownianMotion", "ColumnDataSource", "Figure", "ServerConnection")


class ProcessStateHandler(RequestHandler):
    def get(self) -> None:
        timers = {str(period): count for period, count in ticker_for().periods().items()}
        later = later_for(IOLoop.current())  # the page parts built after the first point
        gc.collect()
        objects = gc.get_objects()
        kinds = collections.Counter(type(item).__name__ for item in objects)
        # Sessions whose page here still holds a placeholder of a part built after the first
        # point (the page a client sees is whole once neither is left).
        not_whole = sorted(
            item._doc.session_context.id for item in objects
            if type(item).__name__ == "BrownianApp" and getattr(item, "_doc", None) is not None
            and item._doc.session_context is not None
            and any(item._doc.get_model_by_name(name) is not None for name in TO_COME_NAMES))
        del objects
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({
            "timers": timers, "rss": rss_bytes(), "heap": _heap(), "objects": sum(kinds.values()),
            "per_page": {kind: kinds[kind] for kind in PER_PAGE},
            "later": {"queued": len(later), "built": later.built,
                      "building": later.building, "sessions_not_whole": not_whole},
        }))


ROUTES = [("/process_state", ProcessStateHandler)]


def rss_bytes(pid: int | str = "self") -> int:
    """The resident set of process ``pid`` (this one by default), in bytes."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _heap() -> dict | None:
    """glibc's heaps (``mallinfo2``, all arenas): their size, the bytes in blocks in use and
    free; None without glibc 2.33 or later."""
    mallinfo2 = getattr(ctypes.CDLL(None), "mallinfo2", None)
    if mallinfo2 is None:
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return {"arena": info.arena, "mmap": info.hblkhd, "used": info.uordblks,
            "free": info.fordblks}
