"""Getting points to a page: the periodic stream of a session's path (``PathStream``), throttled
refreshes of the views (``Refresher``), direct socket writes (``wire``), socket tuning."""

from . import wire
from .refresher import Refresher
from .stream import PathStream
from .throttle import Throttle
from .transport import close_when_silent, disable_nagle

__all__ = ["PathStream", "Refresher", "Throttle", "close_when_silent", "disable_nagle", "wire"]
