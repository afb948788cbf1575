"""The shared feed: one producer of points for every viewer of a process (``SharedFeed``), or
of every process over Redis (``RedisFeed`` subscribes, ``Producer`` writes)."""

from .hub import SharedFeed, feed_for
from .producer import Producer
from .redis_feed import RedisFeed, redis_feed_for

__all__ = ["Producer", "RedisFeed", "SharedFeed", "feed_for", "redis_feed_for"]
