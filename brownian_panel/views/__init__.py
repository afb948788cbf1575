"""What a page shows: the per-session page (``BrownianApp``), the shared page (``SharedApp``),
the plots, the parameter editor, the ping, notices and the URL sync."""

from .editor import model_editor
from .page import BrownianApp
from .ping import PingPong
from .shared_page import SharedApp

__all__ = ["BrownianApp", "PingPong", "SharedApp", "model_editor"]
