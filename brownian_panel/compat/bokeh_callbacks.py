"""Bokeh's check of a callback's signature made once per shape of callback.

Each ``on_change``/``on_event`` asks ``bokeh.util.callback_manager._check_callback``, which
computes ``inspect.signature`` of the callback (~40 µs for Panel's ``functools.partial`` of a
bound method): 172 checks, ~7 ms, for a whole page, the same few shapes again and again. A
signature depends only on the function, whether it is bound, and the positional and keyword
names a ``partial`` fixes; a shape that passed Bokeh's check passes it again, so it is checked
once. A callback of another kind, or one that fails, goes to Bokeh's check every time.
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref
from collections.abc import Callable
from typing import Any

from bokeh.util import callback_manager

from .feature import Feature, expect

#: Bokeh's own check.
BOKEH_CHECK = callback_manager._check_callback

#: The shapes that passed, per function (dropped with the function).
_PASSED: weakref.WeakKeyDictionary[types.FunctionType, set[tuple]] = (
    weakref.WeakKeyDictionary())


def _shape(callback: Any) -> tuple[types.FunctionType, tuple] | None:
    """(function, what else its signature depends on), or None for another kind of callable."""
    bound, args, keywords = False, 0, ()
    if type(callback) is functools.partial:
        args, keywords = len(callback.args), tuple(sorted(callback.keywords))
        callback = callback.func
    if type(callback) is types.MethodType:
        bound, callback = True, callback.__func__
    if type(callback) is not types.FunctionType:
        return None
    return callback, (bound, args, keywords)


def _check_callback(callback: Callable[..., Any], fargs: Any,
                    what: str = "Callback functions") -> None:
    """Bokeh's ``_check_callback``, once per shape that passes it."""
    shape = _shape(callback)
    if shape is None:
        return BOKEH_CHECK(callback, fargs, what)
    function, rest = shape
    key = (rest, tuple(fargs))
    passed = _PASSED.get(function)
    if passed is not None and key in passed:
        return None
    BOKEH_CHECK(callback, fargs, what)  # raises for a wrong signature: nothing kept then
    _PASSED.setdefault(function, set()).add(key)
    return None


class _Probe:
    def method(self, attr, old, new): ...

    def four(self, extra, attr, old, new): ...


def _probe() -> None:
    code = callback_manager.PropertyCallbackManager.on_change.__code__
    expect("_check_callback" in code.co_names,
           "PropertyCallbackManager.on_change asking the module's _check_callback")
    expect(list(inspect.signature(BOKEH_CHECK).parameters) == ["callback", "fargs", "what"],
           "_check_callback(callback, fargs, what)")

    def three(attr, old, new): ...

    probe = _Probe()
    fargs = ("attr", "old", "new")
    for callback, passes in ((three, True), (probe.method, True), (probe.four, False),
                             (functools.partial(probe.four, 1), True),
                             (functools.partial(three, 1), False)):
        for check in (BOKEH_CHECK, _check_callback, _check_callback):  # the 2nd: kept
            try:
                check(callback, fargs)
                outcome = True
            except ValueError:
                outcome = False
            expect(outcome is passes, f"{callback!r} {'passes' if passes else 'fails'} the "
                                      f"check as in Bokeh")


CALLBACK_CHECKS = Feature(
    "callback-checks-once",
    uses="bokeh.util.callback_manager._check_callback, replaced process-wide (shapes that "
         "passed kept per function)",
    written_for="Bokeh 3.9.2 and 3.10.2",
    stands_in_for="Bokeh checking a callback's signature once per kind of callback (it "
                  "computes inspect.signature at every on_change and on_event)",
    fallback="Bokeh's own check at every on_change and on_event",
    probe=_probe,
)


def check_callbacks_once() -> None:
    """Have Bokeh check each shape of callback once (idempotent)."""
    if CALLBACK_CHECKS.on and callback_manager._check_callback is not _check_callback:
        callback_manager._check_callback = _check_callback
