"""``RedisFeed``: a panel process's subscriber of the producer's feed over Redis.

It reads the stream on a thread, applies each update on the server's loop to a ``Mirror`` of
the producer's model and its ``Record`` (so the page is the whole page: History, statistics,
export), and sends the viewers' controls. Design notes: docs/architecture.md,
"feed/redis_feed.py"; memory and late backends: docs/deploy.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import param
from tornado.ioloop import IOLoop

from ..model.mirror import Mirror
from ..model.validation import accepted, check_all
from ..runtime.registry import REDIS_FEEDS, loop_closed
from ..runtime.ticker import ticker_for
from .hub import VIEWER_COUNT_PERIOD, SharedFeed
from .redis_keys import (
    CHANNEL,
    CONTROLS,
    CONTROLS_FIELDS,
    MAX_STEP,
    RUNS,
    SET_CONTROLS,
    STREAM,
    Entry,
    connect,
    encode,
    parse_controls,
    parse_entry,
    read_run,
)

log = logging.getLogger(__name__)

#: Longest wait between two reconnection attempts, in seconds.
MAX_BACKOFF = 0.25

#: Entries read from Redis at once (live and while reading the backlog back).
READ_COUNT = 1000


class RedisFeed(SharedFeed):
    """A panel process's view of the producer's feed (see the module doc)."""

    spans_processes = True

    def __init__(self, url: str, window: int = 10_000, loop: IOLoop | None = None):
        super().__init__(Mirror(window=window), loop)
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
        #: The producer's run shown (its generation and number), and the runs described.
        self._producer_run: str | None = None
        self._runs: dict[str, dict | None] = {}
        self.gaps = 0
        self.entries = 0
        #: What the controls hash held that was refused, at the last version read.
        self._refused: set[str] = set()
        #: Entries skipped as not the producer's (malformed, not a random walk, undescribed).
        self.skipped = 0

    # -- the threads ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the reader and controls threads (idempotent); call on the server's loop."""
        if self._threads:
            return
        self._loop = self._loop if self._loop is not None else IOLoop.current()
        ticker_for(self._loop).add(self._every_second, VIEWER_COUNT_PERIOD)
        for target, name in ((self._read, "brownian-feed"), (self._follow_controls,
                                                              "brownian-controls-channel")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._sender.shutdown(wait=False)
        if self._threads and not loop_closed(self._loop):
            ticker_for(self._loop).remove(self._every_second, VIEWER_COUNT_PERIOD)

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stop.is_set()

    def tick(self) -> None:  # the producer draws, not us
        pass

    def _read(self) -> None:
        backoff = 0.01
        while not self._stop.is_set():
            try:
                client = connect(self.url)
                client.ping()
                if self._last_id is None:
                    self._read_backlog(client)
                self._set_interrupted(False)
                backoff = 0.01
                while not self._stop.is_set():
                    reply = client.xread({STREAM: self._last_id}, count=READ_COUNT, block=100)
                    for _stream, entries in reply or ():
                        self._read_new(client, entries)
            except Exception as error:
                if self._stop.is_set():
                    return
                self._set_interrupted(True, error)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _read_backlog(self, client) -> None:
        """Read back the current run, up to its window or history (whichever is more), and
        post it oldest first."""
        newest_first, held, run, wanted, newest = [], 0, None, self.window, "+"
        while held < wanted:
            page = client.xrevrange(STREAM, max=newest, count=READ_COUNT)
            for entry_id, fields in page:
                entry = self._parse(entry_id, fields)
                if entry is None:
                    continue
                if run is None:
                    run = entry.run
                    settings = (self._describe(client, run) or {}).get("settings", {})
                    wanted = max(settings.get("window", wanted), settings.get("history", 0))
                elif entry.run != run:
                    wanted = held  # the run starts after this entry
                    break
                newest_first.append((entry_id, entry))
                held += len(entry.y)
                if held >= wanted:
                    break
            if len(page) < READ_COUNT:
                break
            newest = b"(" + page[-1][0]
        self._last_id = newest_first[0][0] if newest_first else b"0-0"
        oldest_first = [entry for _, entry in reversed(newest_first)]
        for start in range(0, len(oldest_first), READ_COUNT):
            self._post(client, oldest_first[start:start + READ_COUNT], backlog=True)

    def _parse(self, entry_id: bytes, fields: dict) -> Entry | None:
        """The entry, or None (one WARNING) when it is not the producer's."""
        try:
            return parse_entry(fields)
        except ValueError as error:
            self.skipped += 1
            log.warning("skipped stream entry %s: %s", entry_id.decode(errors="replace"), error)
            return None

    def _describe(self, client, run: str) -> dict | None:
        """The producer's description of ``run`` (cached once found; None if Redis has none)."""
        if run not in self._runs:
            description = read_run(client.hget(RUNS, run))
            if description is None:
                return None
            self._runs[run] = description
            if len(self._runs) > 64:
                del self._runs[next(iter(self._runs))]
        return self._runs[run]

    def _read_new(self, client, entries: list) -> None:
        """Parse new ``entries`` here (the reader thread) and post the producer's."""
        parsed = []
        for entry_id, fields in entries:
            self._last_id = entry_id
            entry = self._parse(entry_id, fields)
            if entry is not None:
                parsed.append(entry)
        self._post(client, parsed)

    def _post(self, client, entries: list[Entry], backlog: bool = False) -> None:
        """Describe each entry's run and apply the entries on the server's loop."""
        updates = [(entry, self._describe(client, entry.run)) for entry in entries]
        if updates:
            self._loop.add_callback(self._apply, updates, backlog)

    def _apply(self, updates: list, backlog: bool) -> None:
        """On the loop: add each update to the mirror, its record and the ring, then tell the
        viewers once."""
        for (run, first, y, variance), description in updates:
            self.entries += 1
            if run != self._producer_run:
                if description is None and self._producer_run is not None:
                    self.skipped += 1  # not the producer's: it describes a run before its entries
                    log.warning("skipped an entry of run %.40r, which Redis does not describe",
                                run)
                    continue
                self._producer_run = run
                self._begin(description)
            elif (len(y) and first == self.model.steps + 1 and self.model.steps
                    and abs(y[0] - self.model.position) > MAX_STEP):
                self.skipped += 1
                log.warning("skipped an entry whose first value %.6g is %.3g from the last: "
                            "not a random walk", y[0], abs(y[0] - self.model.position))
                continue
            elif len(y) and first + len(y) - 1 <= self.model.steps:
                # Written twice (the producer retried a write that Redis had applied before it
                # went away): already shown.
                continue
            elif self.model.steps and first != self.model.steps + 1 and not backlog:
                self.gaps += 1
                log.warning("gap in the shared feed: step %d after %d", first, self.model.steps)
            if len(y):
                if variance != variance:  # no "v" (NaN): the variance in force here
                    variance = self.model.variance
                x, y = self.model.take(first, y, variance)
                self.record.append(x, y, self.model.increments)
                self._append(x, y)
        self.notify()

    def _begin(self, description: dict | None) -> None:
        """Start the producer's next run (the record and the ring are cleared by its watchers)."""
        if description is None:  # Redis lost it: the run's numbers, not its settings, are known
            log.warning("the shared feed's run has no description in Redis: its export header "
                        "shows this process's settings")
            description = {"number": self.model.run + 1, "entropy": 0, "settings": {}}
        window = description["settings"].get("window", self.window)
        if window != self.window:
            with self._lock:
                self._x, self._y = np.empty(window), np.empty(window)
        self.model.begin(description["number"], description["entropy"], description["settings"])

    def _follow_controls(self) -> None:
        backoff = 0.01
        while not self._stop.is_set():
            try:
                client = connect(self.url)
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
        controls = parse_controls(client.hgetall(CONTROLS))
        if controls.version > self._version:
            self._version = controls.version
            values = {name: controls.values[name] for name in CONTROLS_FIELDS
                      if name in controls.values}
            self._loop.add_callback(self._show_controls, values, controls.problems)

    def _show_controls(self, values: dict, problems: list[str]) -> None:
        values, refusals = accepted(self.model, values)
        for message in [*problems, *refusals]:
            if message not in self._refused:  # said once while it stays in the hash
                log.warning("a control from Redis refused: %s", message)
        self._refused = {*problems, *refusals}
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
        fields = [item for name in values for item in (name, encode(name, values[name]))]
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
                    self._sender_client = connect(self.url)
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

    def _on_period(self, event: param.parameterized.Event) -> None:
        pass  # the producer draws at its period


def redis_feed_for(url: str, loop: IOLoop | None = None) -> RedisFeed:
    """The process's one subscriber of ``url`` on ``loop``, created and started on first use."""
    loop = loop if loop is not None else IOLoop.current()
    feed, new = REDIS_FEEDS.get(loop, lambda: RedisFeed(url, loop=loop), key=url)
    if new:
        feed.start()
    return feed
