"""`python -m benchmarks.num_procs`: orphan sessions under `panel serve --num-procs N` alone.

    python -m benchmarks.num_procs [--procs 2] [--loads 20]

Serves the shared page with ``--num-procs`` (the processes share the port) and loads it
``--loads`` times in fresh Chromium contexts. A page request makes a session in the process
that answers it; if the page's WebSocket then reaches another process, that one makes a second
session for the same id and the first is an orphan: never connected, discarded only after the
unused-session lifetime. Orphans = sessions made (counted by the app script) - pages loaded.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support.processes import stop, wait_for_port

from .harness import CHROMIUM, CHROMIUM_FLAGS, free_port

APP = Path(__file__).resolve().parent / "apps" / "sessions_made.py"
PATH_SHOWN = ("() => { const s = window.Bokeh && Bokeh.documents.length && "
              "Bokeh.documents[0].get_model_by_name('path'); return s ? s.data.x.length : 0; }")


def measure(procs: int, loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="brownian-sessions-")) / "sessions.log"
    log.touch()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", str(APP), "--port", str(port), "--address",
         "127.0.0.1", "--num-procs", str(procs)], env={**os.environ,
                                                       "BROWNIAN_SESSIONS_LOG": str(log)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(server, port, timeout=60)
        time.sleep(2.0)  # every child process listens
        orphaned_loads = 0
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for _ in range(loads):
                before = len(log.read_text().split())
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/sessions_made")
                page.wait_for_function(PATH_SHOWN, timeout=30_000)
                time.sleep(0.3)  # a second session, if any, is made before the path shows
                made = len(log.read_text().split()) - before
                orphaned_loads += made > 1
                context.close()
            browser.close()
        pids = collections.Counter(log.read_text().split())
        sessions = sum(pids.values())
        return {"procs": procs, "page_loads": loads, "sessions_made": sessions,
                "orphan_sessions": sessions - loads, "loads_with_an_orphan": orphaned_loads,
                "sessions_per_process": sorted(pids.values())}
    finally:
        os.killpg(server.pid, 15)
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--loads", type=int, default=20)
    options = parser.parse_args()
    print(json.dumps({"machine": {"cores": os.cpu_count()},
                      **measure(options.procs, options.loads)}, indent=1))


if __name__ == "__main__":
    main()
