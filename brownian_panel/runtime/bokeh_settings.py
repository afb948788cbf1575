"""Bokeh settings read for every model made or serialized, resolved once per process.

Bokeh resolves a setting at each read through its whole order of sources (the environment,
config files, ...): ``simple_ids`` for every model's id (``make_id``: 6.1 -> 2.0 µs) and
``serialize_include_defaults`` for every model serialized (2.5 -> 0.2 µs), a few hundred
times a page. Setting each to the value it resolves to now (``set_value``, Bokeh's public way
to set one in code) keeps that value: the environment is not read again for them.
"""

from __future__ import annotations

import threading

from bokeh.settings import settings

#: The settings kept (names of ``bokeh.settings.settings``' accessors).
PER_MODEL = ("simple_ids", "serialize_include_defaults")

_lock = threading.Lock()
_kept = False


def keep_per_model_settings() -> None:
    """Keep each of ``PER_MODEL`` at the value it resolves to now (once per process; a value
    already set in code is left as set)."""
    global _kept
    with _lock:
        if _kept:
            return
        _kept = True
        for name in PER_MODEL:
            setting = getattr(settings, name)
            setting.set_value(setting())
