"""The fan-out of a shared feed: the frames its viewers' in-step messages share."""

from __future__ import annotations

import weakref

from .wire import FramesCache

#: One cache per feed, dropped with the feed (``runtime.registry.PROCESS_STATE``).
_CACHES: weakref.WeakKeyDictionary[object, FramesCache] = weakref.WeakKeyDictionary()

#: The prefix of the ids of the models every viewer's page of a feed updates alike.
SHARED_IDS = "brownian-shared"


def frames_cache(feed: object) -> FramesCache:
    """The frames cache of ``feed``'s viewers (made on first use; on the server's loop)."""
    cache = _CACHES.get(feed)
    if cache is None:
        cache = _CACHES[feed] = FramesCache()
    return cache
