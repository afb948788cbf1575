"""A Bokeh property type's name (``Dict(String, List(Instance(Callback)))``) made once.

Bokeh's ``Dict.validate`` formats its error sentence, which names the property's type, before it
knows whether there is an error; it runs at every dict default a model reads and for every
``Either`` holding a dict (``styles``, callbacks), and ``ParameterizedProperty.__str__`` builds
the name from its type parameters each time (~3 µs; ~4% of a page's server CPU on Bokeh 3.9).
A type's parameters are fixed once it is made, so its name is kept after the first time.
"""

from __future__ import annotations

import inspect

from bokeh.core.property.bases import ParameterizedProperty

from .feature import Feature, expect

#: Bokeh's own ``ParameterizedProperty.__str__``.
BOKEH_STR = inspect.getattr_static(ParameterizedProperty, "__str__")

#: Where a property type keeps its name (an attribute of the type's instance).
_NAME = "_brownian_panel_name"


def _str(prop: ParameterizedProperty) -> str:
    """``ParameterizedProperty.__str__``, made at the first call and kept on the type."""
    try:
        return prop.__dict__[_NAME]
    except KeyError:
        name = prop.__dict__[_NAME] = BOKEH_STR(prop)
        return name


def _probe() -> None:
    expect(inspect.isfunction(BOKEH_STR)
           and {"type_params", "__class__", "__name__"} <= set(BOKEH_STR.__code__.co_names),
           "ParameterizedProperty.__str__ naming its class and type parameters")
    from bokeh.core.properties import Dict, Either, Instance, List, Nullable, String

    for prop in (Dict(String, List(Instance("bokeh.models.Callback"))),
                 Either(Dict(String, Nullable(String)), List(String))):
        expect(_str(prop) == BOKEH_STR(prop) == _str(prop),
               f"{BOKEH_STR(prop)} named as Bokeh names it")


PROPERTY_NAMES = Feature(
    "property-names-once",
    uses="bokeh.core.property.bases.ParameterizedProperty.__str__, replaced process-wide "
         "(the name kept on each property type)",
    written_for="Bokeh 3.9.2 and 3.10.2",
    stands_in_for="Bokeh naming a property type once (its error sentences are formatted "
                  "at every dict validation)",
    fallback="Bokeh's own name, built at each validation",
    probe=_probe,
)


def name_property_types_once() -> None:
    """Have Bokeh's property types keep their names (idempotent; set once: setting a class
    attribute invalidates the attribute caches of every Bokeh class)."""
    if PROPERTY_NAMES.on and inspect.getattr_static(
            ParameterizedProperty, "__str__") is not _str:
        ParameterizedProperty.__str__ = _str
