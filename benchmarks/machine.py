"""The machine a benchmark ran on, written next to its figures."""

from __future__ import annotations

import os


def machine() -> dict:
    """Cores and RAM (GiB) of this machine."""
    return {"cores": os.cpu_count(),
            "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def stack() -> dict:
    """The Python, Panel and Bokeh versions the figures were measured with."""
    import platform

    import bokeh
    import panel

    return {"python": platform.python_version(), "panel": panel.__version__,
            "bokeh": bokeh.__version__}
