"""What Bokeh recomputes at every property default it reads, computed once per class.

``class-defaults-once``: Bokeh 3.9.2's ``HasProps._overridden_defaults()`` walks the class's
whole MRO and builds a new dict at every default lookup (``Property.themed_default``), which a
page makes thousands of times while it builds and serializes its models: ~6% of a page's server
CPU on its own. The overrides are fixed when a class is created (``Override`` in the class
body), so the dict is the same each time; Bokeh 3.10 computes it once per class
(``__property_info__``). Here it is computed once per class and the same dict returned; Bokeh
only reads it.

``unstable-defaults-once``: whether a property's default must be made per instance
(``PropertyDescriptor.has_unstable_default``) is asked at each default read and for every property
of each new model; it depends only on the property and the class's overrides, and costs two
imports and a walk of the property's type parameters each time (~8% of a page's server CPU on
Bokeh 3.9). Here it is answered once per property and class.

``themed-values-direct``: each default read also asks ``HasProps.themed_values()``, which for a
model without a theme (all of ours) looks ``__themed_values__`` up and fails twice, through
``HasProps.__getattr__`` (~7% of a page's server CPU on Bokeh 3.9). Bokeh keeps it in the
instance's ``__dict__`` (``apply_theme``/``unapply_theme``), where it is read here directly.
"""

from __future__ import annotations

import inspect
from typing import Any

from bokeh.core.has_props import HasProps
from bokeh.core.property.descriptors import PropertyDescriptor

from .feature import Feature, NotNeeded, expect

#: Bokeh's own ``HasProps._overridden_defaults`` (a classmethod).
BOKEH_OVERRIDDEN_DEFAULTS = inspect.getattr_static(HasProps, "_overridden_defaults")

#: Bokeh's own ``PropertyDescriptor.has_unstable_default`` (a function).
BOKEH_HAS_UNSTABLE_DEFAULT = inspect.getattr_static(PropertyDescriptor, "has_unstable_default")

#: Bokeh's own ``HasProps.themed_values`` (a function).
BOKEH_THEMED_VALUES = inspect.getattr_static(HasProps, "themed_values")

#: Each class's overridden defaults, by class (classes live as long as the process).
_DEFAULTS: dict[type, dict[str, Any]] = {}

#: Bokeh's answer to ``has_unstable_default``, by property descriptor and class.
_UNSTABLE: dict[tuple[PropertyDescriptor, type], bool] = {}


def _overridden_defaults(cls: type[HasProps]) -> dict[str, Any]:
    """``HasProps._overridden_defaults``, computed at a class's first call."""
    try:
        return _DEFAULTS[cls]
    except KeyError:
        defaults: dict[str, Any] = {}
        for base in reversed(cls.__mro__):
            defaults.update(getattr(base, "__overridden_defaults__", {}))
        return _DEFAULTS.setdefault(cls, defaults)


def _has_unstable_default(descriptor: PropertyDescriptor, obj: HasProps) -> bool:
    """``PropertyDescriptor.has_unstable_default``, asked of Bokeh once per class."""
    key = (descriptor, obj.__class__)
    try:
        return _UNSTABLE[key]
    except KeyError:
        return _UNSTABLE.setdefault(key, BOKEH_HAS_UNSTABLE_DEFAULT(descriptor, obj))


def _themed_values(obj: HasProps) -> dict[str, Any] | None:
    """``HasProps.themed_values``: the theme's values, read where ``apply_theme`` keeps them."""
    return obj.__dict__.get("__themed_values__")


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


def _probe_unstable() -> None:
    expect(inspect.isfunction(BOKEH_HAS_UNSTABLE_DEFAULT)
           and list(inspect.signature(BOKEH_HAS_UNSTABLE_DEFAULT).parameters) == ["self", "obj"],
           "PropertyDescriptor.has_unstable_default(self, obj), a function")
    names = BOKEH_HAS_UNSTABLE_DEFAULT.__code__.co_names
    expect({"property", "_may_have_unstable_default", "is_unstable", "name"} <= set(names),
           "has_unstable_default reading only the property and the class's overrides")
    from bokeh.models import ColumnDataSource, Plot

    for cls in (Plot, ColumnDataSource):  # Instance and container defaults, own overrides
        obj = cls.__new__(cls)
        for name in cls.properties():
            descriptor = cls.lookup(name)
            if inspect.getattr_static(type(descriptor), "has_unstable_default") in (
                    BOKEH_HAS_UNSTABLE_DEFAULT, _has_unstable_default):
                expect(_has_unstable_default(descriptor, obj)
                       == BOKEH_HAS_UNSTABLE_DEFAULT(descriptor, obj),
                       f"{cls.__name__}.{name}'s answer as Bokeh gives it")


UNSTABLE_CACHE = Feature(
    "unstable-defaults-once",
    uses="bokeh.core.property.descriptors.PropertyDescriptor.has_unstable_default (a "
         "function), replaced process-wide",
    written_for="Bokeh 3.9.2 and 3.10.2",
    stands_in_for="Bokeh answering once per class whether a property's default is made per "
                  "instance",
    fallback="Bokeh's own answer (imports and walks the property's types at every read)",
    probe=_probe_unstable,
)


def _probe_themed() -> None:
    expect(inspect.isfunction(BOKEH_THEMED_VALUES)
           and "__themed_values__" in BOKEH_THEMED_VALUES.__code__.co_consts,
           "HasProps.themed_values reading the attribute __themed_values__")
    from bokeh.models import Div

    div = Div()
    expect(_themed_values(div) is BOKEH_THEMED_VALUES(div) is None, "no theme: None")
    div.apply_theme({"text": "themed"})
    expect(_themed_values(div) is BOKEH_THEMED_VALUES(div) and div.text == "themed",
           "a theme's values kept in the model's __dict__")
    div.unapply_theme()
    expect(_themed_values(div) is BOKEH_THEMED_VALUES(div) is None, "no theme after unapply")


THEMED_VALUES = Feature(
    "themed-values-direct",
    uses="bokeh.core.has_props.HasProps.themed_values (a function), replaced process-wide; "
         "reads the instance's __dict__ where apply_theme keeps __themed_values__",
    written_for="Bokeh 3.9.2 and 3.10.2",
    stands_in_for="Bokeh reading a model's theme without two failed attribute lookups",
    fallback="Bokeh's own lookup (through HasProps.__getattr__ at every default read)",
    probe=_probe_themed,
)


#: What replaces Bokeh's classmethod.
_ONCE_PER_CLASS = classmethod(_overridden_defaults)


def compute_defaults_once() -> None:
    """Have Bokeh's ``HasProps._overridden_defaults`` (Bokeh 3.9) and
    ``PropertyDescriptor.has_unstable_default`` computed once per class where Bokeh needs them,
    and ``HasProps.themed_values`` read directly
    (idempotent; takes effect for every model from then on). Each set once: setting a class
    attribute invalidates the attribute caches of every Bokeh class."""
    if DEFAULTS_CACHE.on and inspect.getattr_static(
            HasProps, "_overridden_defaults") is not _ONCE_PER_CLASS:
        HasProps._overridden_defaults = _ONCE_PER_CLASS
    if UNSTABLE_CACHE.on and inspect.getattr_static(
            PropertyDescriptor, "has_unstable_default") is not _has_unstable_default:
        PropertyDescriptor.has_unstable_default = _has_unstable_default
    if THEMED_VALUES.on and inspect.getattr_static(
            HasProps, "themed_values") is not _themed_values:
        HasProps.themed_values = _themed_values
