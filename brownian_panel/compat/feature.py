"""``Feature``: one fast path built on another package's private names, checked once.

A feature's ``probe`` looks at the installed packages (never at a user's session) and says
whether the private shape it relies on is there. The first use runs it; on a mismatch one
WARNING names the feature and the public path used instead, and the feature stays off.
``BROWNIAN_PANEL_PUBLIC_PATHS`` (``all`` or comma-separated names) turns features off on
purpose, to compare or to rule them out.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Environment variable: ``all``, or feature names separated by commas, to take the public path.
PUBLIC_PATHS_ENV = "BROWNIAN_PANEL_PUBLIC_PATHS"

ON, OFF, NOT_NEEDED = "on", "off", "not needed"


class NotNeeded(Exception):
    """Raised by a probe when the installed package already does what the feature adds."""


class Feature:
    """A fast path on private names: what it uses, what it stands in for, its public fallback."""

    def __init__(self, name: str, uses: str, written_for: str, stands_in_for: str,
                 fallback: str, probe: Callable[[], None]):
        self.name, self.uses, self.written_for = name, uses, written_for
        self.stands_in_for, self.fallback = stands_in_for, fallback
        self._probe = probe
        self._state: str | None = None
        #: Why the feature is off or not needed (empty when on).
        self.reason = ""

    @property
    def state(self) -> str:
        """``ON``, ``OFF`` or ``NOT_NEEDED``; probed on first access."""
        if self._state is None:
            self._set(*self._check())
        return self._state

    def turn_off(self, reason: str) -> None:
        """A mismatch seen only at run time (e.g. in a browser): off from now on, one WARNING."""
        if self._state != OFF:
            self._set(OFF, reason)

    def _set(self, state: str, reason: str) -> None:
        self._state, self.reason = state, reason
        if state == OFF:
            log.warning("brownian_panel: %s is off (%s); using %s instead",
                        self.name, reason, self.fallback)

    @property
    def on(self) -> bool:
        return self.state == ON

    def _check(self) -> tuple[str, str]:
        chosen = {name.strip() for name in os.environ.get(PUBLIC_PATHS_ENV, "").split(",")}
        if "all" in chosen or self.name in chosen:
            return OFF, f"{PUBLIC_PATHS_ENV} asks for the public path"
        try:
            self._probe()
        except NotNeeded as reason:
            return NOT_NEEDED, str(reason)
        except Exception as error:  # any other shape than the one written for
            return OFF, f"{type(error).__name__}: {error}"
        return ON, ""

    def reset(self) -> None:
        """Forget the probe's answer (tests, or after changing ``PUBLIC_PATHS_ENV``)."""
        self._state, self.reason = None, ""

    def __repr__(self) -> str:
        return f"Feature({self.name!r}, state={self._state!r})"


def expect(condition: bool, what: str) -> None:
    """In a probe: raise unless ``condition`` holds, saying ``what`` was expected."""
    if not condition:
        raise LookupError(f"expected {what}")
