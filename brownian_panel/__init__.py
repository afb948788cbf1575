"""brownian_panel: a live Brownian-motion dashboard on Panel + Bokeh + param + numpy.

Public names only; importing the package starts nothing, and imports Panel and Bokeh only when
a name that needs them is first used (``brownian_panel.model`` works without them).
"""

from .model import BrownianMotion

#: Public name -> the module that defines it (imported on first use).
_LAZY = {"BrownianApp": ".views.page", "PathStream": ".driver.stream", "PingPong": ".views.ping",
         "SharedApp": ".views.shared_page", "model_editor": ".views.editor"}

__all__ = ["BrownianApp", "BrownianMotion", "PathStream", "PingPong", "SharedApp", "model_editor"]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'brownian_panel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
