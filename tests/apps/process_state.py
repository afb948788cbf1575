"""Test-only Panel server plugin (``--plugins tests.apps.process_state``): ``GET /process_state``
answers, as JSON, the process's shared timers ({period: streams}) and, after a full garbage
collection, its RSS, how many objects are alive, and how many of the kinds a page makes.

A plain route, not a Panel app: asking makes no session of its own.
"""
import collections
import gc
import json
import os

from tornado.web import RequestHandler

from brownian_panel.runtime.ticker import ticker_for

#: What each page of ours makes (none should be alive once its session has ended).
PER_PAGE = ("BrownianApp", "BrownianMotion", "ColumnDataSource", "Figure", "ServerConnection")


class ProcessStateHandler(RequestHandler):
    def get(self) -> None:
        timers = {str(period): count for period, count in ticker_for().periods().items()}
        gc.collect()
        kinds = collections.Counter(type(item).__name__ for item in gc.get_objects())
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({
            "timers": timers, "rss": rss, "objects": sum(kinds.values()),
            "per_page": {kind: kinds[kind] for kind in PER_PAGE},
        }))


ROUTES = [("/process_state", ProcessStateHandler)]
