"""A class's overridden property defaults computed once, as Bokeh 3.10 does, on Bokeh 3.9.

Bokeh 3.9.2's ``HasProps._overridden_defaults()`` walks the class's whole MRO and builds a new
dict at every default lookup (``Property.themed_default``), which a page makes thousands of times
while it builds and serializes its models: ~6% of a page's server CPU on its own. The overrides
are fixed when a class is created (``Override`` in the class body), so the dict is the same each
time; Bokeh 3.10 computes it once per class (``__property_info__``). Here it is computed once per
class and the same dict returned; Bokeh only reads it.
"""

from __future__ import annotations

import inspect
from typing import Any

from bokeh.core.has_props import HasProps

from .feature import Feature, NotNeeded, expect

#: Bokeh's own ``HasProps._overridden_defaults`` (a classmethod).
BOKEH_OVERRIDDEN_DEFAULTS = inspect.getattr_static(HasProps, "_overridden_defaults")

#: Each class's overridden defaults, by class (classes live as long as the process).
_DEFAULTS: dict[type, dict[str, Any]] = {}


def _overridden_defaults(cls: type[HasProps]) -> dict[str, Any]:
    """``HasProps._overridden_defaults``, computed at a class's first call."""
    try:
        return _DEFAULTS[cls]
    except KeyError:
        defaults: dict[str, Any] = {}
        for base in reversed(cls.__mro__):
            defaults.update(getattr(base, "__overridden_defaults__", {}))
        return _DEFAULTS.setdefault(cls, defaults)


def _probe() -> None:
    if hasattr(HasProps, "__property_info__"):
        raise NotNeeded("Bokeh computes a class's overridden defaults once "
                        "(__property_info__, Bokeh 3.10)")
    expect(isinstance(BOKEH_OVERRIDDEN_DEFAULTS, classmethod),
           "HasProps._overridden_defaults, a classmethod")
    code = BOKEH_OVERRIDDEN_DEFAULTS.__func__.__code__
    expect("__mro__" in code.co_names and "__overridden_defaults__" in code.co_consts,
           "HasProps._overridden_defaults merging __overridden_defaults__ along the MRO")
    from bokeh.models import DataRange1d, LinearAxis, Plot

    for cls in (Plot, DataRange1d, LinearAxis):  # own overrides, inherited only, Instance ones
        expect(_overridden_defaults(cls) == BOKEH_OVERRIDDEN_DEFAULTS.__func__(cls),
               f"{cls.__name__}'s overridden defaults as Bokeh computes them")


DEFAULTS_CACHE = Feature(
    "class-defaults-once",
    uses="bokeh.core.has_props.HasProps._overridden_defaults (a classmethod), replaced "
         "process-wide",
    written_for="Bokeh 3.9.2 (3.10 computes them once itself: not needed there)",
    stands_in_for="Bokeh computing a class's overridden property defaults once (as 3.10 does)",
    fallback="Bokeh's own lookup (walks the class's MRO at every default read)",
    probe=_probe,
)


#: What replaces Bokeh's classmethod.
_ONCE_PER_CLASS = classmethod(_overridden_defaults)


def compute_class_defaults_once() -> None:
    """Have Bokeh's ``HasProps._overridden_defaults`` computed once per class where Bokeh
    needs it (idempotent; takes effect for every model from then on). Set once: setting a
    class attribute invalidates the attribute caches of every Bokeh class."""
    if DEFAULTS_CACHE.on and inspect.getattr_static(
            HasProps, "_overridden_defaults") is not _ONCE_PER_CLASS:
        HasProps._overridden_defaults = _ONCE_PER_CLASS
