"""The shared feed over Redis: one producer process, one subscriber per panel process.

Design notes: docs/architecture.md, "feed/redis_feed.py".
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import param
from tornado.ioloop import IOLoop

from ..model.validation import accepted, check_all
from ..model.walk import BrownianMotion
from ..runtime.registry import REDIS_FEEDS
from .hub import SharedFeed

log = logging.getLogger(__name__)

#: Redis keys: the stream of updates, the controls hash and its announcement channel.
STREAM, CONTROLS, CHANNEL = "brownian:points", "brownian:controls", "brownian:controls"

#: Set control fields, bump the version and announce it, atomically. ``reset`` increments.
SET_CONTROLS = """
for i = 1, #ARGV, 2 do
  if ARGV[i] == 'reset' then
    redis.call('HINCRBY', KEYS[1], 'reset', 1)
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('PUBLISH', KEYS[2], version)
return version
"""

#: Longest wait between two reconnection attempts, in seconds.
MAX_BACKOFF = 0.25

#: The controls a viewer may set, and how they are written to and read from the hash.
CONTROLS_FIELDS = ("variance", "paused")


def _connect(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=5.0,
                                health_check_interval=0)


def _parse_controls(fields: dict[bytes, bytes]) -> dict:
    values = {key.decode(): value.decode() for key, value in fields.items()}
    parsed: dict = {"version": int(values.get("version", 0)),
                    "reset": int(values.get("reset", 0))}
    if "variance" in values:
        parsed["variance"] = float(values["variance"])
    if "paused" in values:
        parsed["paused"] = values["paused"] == "1"
    return parsed


def _encode(name: str, value) -> str:
    return ("1" if value else "0") if name == "paused" else repr(float(value))


class Producer:
    """Draws the shared path and appends it to Redis (see the module doc)."""

    def __init__(self, url: str, model: BrownianMotion | None = None, buffer: int = 10_000):
        self.url = url
        self.model = model if model is not None else BrownianMotion()
        self._pending: deque[dict] = deque(maxlen=buffer)
        self._redis = None
        self._pubsub = None
        self._version = -1
        #: The highest controls version seen: a lower one means Redis lost the hash.
        self._seen = -1
        self._resets = None
        self.dropped = 0
        self.sent = 0
        #: Tells this producer's runs from those of one before it (a restart starts at step 1).
        self._generation = secrets.token_hex(8)

    def run(self, stop: threading.Event | None = None) -> None:
        """Tick every ``model.period`` ms until ``stop`` is set."""
        stop = stop or threading.Event()
        due = time.monotonic()
        while not stop.is_set():
            self.tick()
            due += self.model.period / 1000
            stop.wait(max(0.0, due - time.monotonic()))
            due = max(due, time.monotonic() - 1.0)  # after a long stall, do not race to catch up

    def tick(self) -> None:
        self._apply_controls()
        if not self.model.paused:
            x, y = self.model.advance()
            if y.ndim > 1:
                y = y[0]
            self._queue({"run": self._run_id(), "first": int(x[0]), "y": y.tobytes(),
                         "t": repr(time.time())})
        self._flush()

    def _run_id(self) -> str:
        return f"{self._generation}:{self.model.run}"

    def _queue(self, entry: dict) -> None:
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1  # the oldest is lost: subscribers will see the gap
        self._pending.append(entry)

    def _flush(self) -> None:
        if not self._pending:
            return
        try:
            client = self._client()
            pipe = client.pipeline(transaction=False)
            entries = max(2, self.model.window // self.model.batch + 1)
            for entry in self._pending:
                pipe.xadd(STREAM, entry, maxlen=entries, approximate=True)
            pipe.execute()
            self.sent += len(self._pending)
            self._pending.clear()
        except Exception as error:  # Redis unreachable: keep the updates, retry next tick
            self._lost(error)

    def _client(self):
        if self._redis is None:
            self._redis = _connect(self.url)
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            self._pubsub.subscribe(CHANNEL)
            self._version = -1  # read the controls again after a reconnect
            log.info("producer connected to %s", self.url)
        return self._redis

    def _lost(self, error: Exception) -> None:
        if self._redis is not None:
            log.warning("producer lost Redis (%s); %d updates kept", error, len(self._pending))
        self._redis = self._pubsub = None

    def _apply_controls(self) -> None:
        try:
            client = self._client()
            announced = False
            while self._pubsub.get_message(timeout=0) is not None:
                announced = True
            if not announced and self._version >= 0:
                return
            controls = _parse_controls(client.hgetall(CONTROLS))
            if controls["version"] < self._seen:
                # Redis came back without the hash (no persistence): write the controls in
                # force back, so every viewer shows them; no reset is implied.
                client.eval(SET_CONTROLS, 2, CONTROLS, CHANNEL, "variance",
                            _encode("variance", self.model.variance), "paused",
                            _encode("paused", self.model.paused))
                controls = _parse_controls(client.hgetall(CONTROLS))
                self._resets = controls["reset"]
                log.info("controls written back to Redis (version %d)", controls["version"])
        except Exception as error:
            self._lost(error)
            return
        if controls["version"] <= self._version:
            return
        self._version = self._seen = controls["version"]
        values = {name: controls[name] for name in CONTROLS_FIELDS if name in controls}
        values, refusals = accepted(self.model, values)  # checked by the viewers too
        for message in refusals:
            log.warning("a control in Redis refused: %s", message)
        self.model.param.update(**values)
        if self._resets is not None and controls["reset"] != self._resets:
            self.model.reset()
            self._queue({"run": self._run_id(), "first": 1, "y": b""})  # viewers empty now
        self._resets = controls["reset"]


class RedisFeed(SharedFeed):
    """A panel process's view of the producer's feed (see the module doc)."""

    spans_processes = True

    def __init__(self, url: str, window: int = 10_000, loop: IOLoop | None = None):
        super().__init__(BrownianMotion(window=window), loop)
        # Not over Redis yet: the stream keeps the window only and not each step's variance,
        # which History, statistics and export need; its page shows the live plot.
        self.record.release()
        self.record = None
        self.url = url
        self._stop = threading.Event()
        self._last_id: bytes | None = None
        self._threads: list[threading.Thread] = []
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brownian-controls")
        self._sender_client = None  # the sender thread's connection, made when first needed
        self._status_callbacks: list[Callable[[bool], None]] = []
        self.interrupted = True
        self._version = -1
        #: Control changes of this process sent but not yet answered by Redis.
        self._in_flight = 0
        self.gaps = 0
        self.entries = 0

    # -- the threads ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the reader and controls threads (idempotent); call on the server's loop."""
        if self._threads:
            return
        self._loop = self._loop if self._loop is not None else IOLoop.current()
        for target, name in ((self._read, "brownian-feed"), (self._follow_controls,
                                                              "brownian-controls-channel")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._sender.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stop.is_set()

    def tick(self) -> None:  # the producer draws, not us
        pass

    def _read(self) -> None:
        backoff = 0.01
        while not self._stop.is_set():
            try:
                client = _connect(self.url)
                client.ping()
                if self._last_id is None:
                    self._read_backlog(client)
                self._set_interrupted(False)
                backoff = 0.01
                while not self._stop.is_set():
                    reply = client.xread({STREAM: self._last_id}, count=1000, block=100)
                    for _stream, entries in reply or ():
                        self._take(entries)
            except Exception as error:
                if self._stop.is_set():
                    return
                self._set_interrupted(True, error)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _read_backlog(self, client) -> None:
        wanted = self.window
        newest_first, held = [], 0
        for entry_id, fields in client.xrevrange(STREAM, count=wanted):
            newest_first.append((entry_id, fields))
            held += len(fields.get(b"y", b"")) // 8
            if held >= wanted:
                break
        self._last_id = newest_first[0][0] if newest_first else b"0-0"
        if newest_first:
            self._take(list(reversed(newest_first)), backlog=True)

    def _take(self, entries: list, backlog: bool = False) -> None:
        for entry_id, fields in entries:
            run, first = fields[b"run"].decode(), int(fields[b"first"])
            y = np.frombuffer(fields[b"y"], dtype=np.float64)
            with self._lock:
                if run != self._run:
                    self._held = self._last = 0
                    self._run = run
                elif len(y) and first + len(y) - 1 <= self._last:
                    # Written twice (the producer retried a write that Redis had applied
                    # before it went away): already shown.
                    self._last_id = entry_id
                    continue
                elif self._last and first != self._last + 1 and not backlog:
                    self.gaps += 1
                    log.warning("gap in the shared feed: step %d after %d", first, self._last)
                if len(y):
                    self._append(np.arange(first, first + len(y), dtype=np.float64), y)
            self._last_id = entry_id
            self.entries += 1
        self._loop.add_callback(self.notify)

    def _follow_controls(self) -> None:
        backoff = 0.01
        while not self._stop.is_set():
            try:
                client = _connect(self.url)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                self._version = -1  # Redis may have restarted, its versions from 0 again
                self._read_controls(client)  # after every (re)connect
                backoff = 0.01
                while not self._stop.is_set():
                    if pubsub.get_message(timeout=0.1) is not None:
                        self._read_controls(client)
            except Exception:
                if self._stop.is_set():
                    return
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _read_controls(self, client) -> None:
        with self._lock:
            if self._in_flight:
                # An older state than what this process has just sent (its echo, or a change
                # made before ours): skip it; the sender reads the controls once answered.
                return
        controls = _parse_controls(client.hgetall(CONTROLS))
        if controls["version"] > self._version:
            self._version = controls["version"]
            values = {name: controls[name] for name in CONTROLS_FIELDS if name in controls}
            self._loop.add_callback(self._show_controls, values)

    def _show_controls(self, values: dict) -> None:
        values, refusals = accepted(self.model, values)
        for message in refusals:
            log.warning("a control from Redis refused: %s", message)
        self.model.param.update(**values)

    def _set_interrupted(self, interrupted: bool, error: Exception | None = None) -> None:
        if interrupted == self.interrupted:
            return
        self.interrupted = interrupted
        if interrupted:
            log.warning("shared feed interrupted: %s", error)
        for callback in list(self._status_callbacks):
            self._loop.add_callback(callback, interrupted)

    # -- controls from the viewers ----------------------------------------------------------

    def control(self, on_error=None, **values) -> None:
        """Check ``values`` against the model's parameters (a refused one raises ValueError)
        and send them to the producer from a worker thread; ``on_error(message)`` on the loop
        if Redis cannot be reached."""
        check_all(self.model, values)  # raises ValueError like the in-process feed
        fields = [item for name in values for item in (name, _encode(name, values[name]))]
        self._send(fields, on_error)

    def reset(self, on_error=None) -> None:
        self._send(["reset", "1"], on_error)

    def _send(self, fields: list[str], on_error) -> None:
        loop = self._loop
        with self._lock:
            self._in_flight += 1

        def send() -> None:  # on the one sender thread
            try:
                if self._sender_client is None:
                    self._sender_client = _connect(self.url)
                client = self._sender_client
                client.eval(SET_CONTROLS, 2, CONTROLS, CHANNEL, *fields)
            except Exception as error:
                log.warning("control not applied: %s", error)
                if on_error is not None:
                    loop.add_callback(on_error, f"Not applied: the shared feed is unreachable "
                                                f"({type(error).__name__}).")
                if self._sender_client is not None:
                    self._sender_client.close()
                client = self._sender_client = None  # connect afresh for the next control
            finally:
                with self._lock:
                    self._in_flight -= 1
            if client is not None:
                try:
                    self._read_controls(client)  # the state with our change: shown here
                except Exception:
                    log.debug("controls re-read failed; the channel will bring them")

        self._sender.submit(send)

    def watch_status(self, callback: Callable[[bool], None]) -> None:
        self._status_callbacks.append(callback)

    def unwatch_status(self, callback: Callable[[bool], None]) -> None:
        if callback in self._status_callbacks:
            self._status_callbacks.remove(callback)

    def _on_run(self, event: param.parameterized.Event) -> None:
        pass  # runs come from the producer's entries


def redis_feed_for(url: str, loop: IOLoop | None = None) -> RedisFeed:
    """The process's one subscriber of ``url`` on ``loop``, created and started on first use."""
    loop = loop if loop is not None else IOLoop.current()
    feed, new = REDIS_FEEDS.get(loop, lambda: RedisFeed(url, loop=loop), key=url)
    if new:
        feed.start()
    return feed
