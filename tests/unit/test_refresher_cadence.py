"""``Refresher`` with a frames cache: due on the clock's multiples of its interval (the same
moments for every page), at once the first time."""

from __future__ import annotations

import math

from brownian_panel.driver.refresher import Refresher
from brownian_panel.driver.wire import FramesCache


def test_with_a_cache_refreshes_are_due_on_the_clocks_multiples():
    refresher = Refresher(lambda: None, None, 0.25, cache=FramesCache())
    assert refresher._next_due() == -math.inf  # never refreshed: due now
    refresher._last = 10.3
    assert refresher._next_due() == 10.5
    assert not refresher._due(10.49) and refresher._due(10.5)
    plain = Refresher(lambda: None, None, 0.25)
    plain._last = 10.3
    assert plain._next_due() == 10.55
