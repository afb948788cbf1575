"""brownian_panel: a live Brownian-motion dashboard on Panel + Bokeh + param + numpy.

Public names only; importing the package starts nothing.
"""

from .app import BrownianApp
from .model import BrownianMotion
from .ping import PingPong
from .stream import PathStream

__all__ = ["BrownianApp", "BrownianMotion", "PathStream", "PingPong"]
__version__ = "0.1.0"
