"""The shared page that also appends this process's id to the file $BROWNIAN_SESSIONS_LOG for
every session it makes (benchmarks/num_procs.py counts orphan sessions with it)."""
import os

from brownian_panel.views.shared_page import SharedApp

with open(os.environ["BROWNIAN_SESSIONS_LOG"], "a") as log:
    log.write(f"{os.getpid()}\n")
SharedApp().servable(title="Brownian motion (shared)")
