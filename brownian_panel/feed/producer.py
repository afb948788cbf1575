"""``Producer``: draws the shared path and appends it to Redis (``brownian-panel produce``).

Design notes: docs/architecture.md, "feed/producer.py"; memory: docs/deploy.md.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque

from ..model.mirror import RUN_SETTINGS
from ..model.validation import accepted
from ..model.walk import BrownianMotion
from .redis_keys import (
    CHANNEL,
    CONTROLS,
    CONTROLS_FIELDS,
    RUNS,
    RUNS_KEPT,
    SET_CONTROLS,
    STREAM,
    connect,
    describe_run,
    encode,
    parse_controls,
)

log = logging.getLogger(__name__)


def stream_entries(model: BrownianMotion) -> int:
    """Entries the stream keeps: enough for the window and the history of the first path (a
    backend started late reads them back)."""
    return max(2, max(model.window, model.history) // model.batch + 1)


class Producer:
    """Draws the shared path and appends it to Redis (see the module doc)."""

    def __init__(self, url: str, model: BrownianMotion | None = None, buffer: int = 10_000):
        self.url = url
        self.model = model if model is not None else BrownianMotion()
        if self.model.paths != 1:
            raise ValueError("a Redis feed carries one path: paths must be 1")
        self._pending: deque[dict] = deque(maxlen=buffer)
        self._redis = None
        self._pubsub = None
        self._version = -1
        #: What the controls hash held that was refused, at the last version read.
        self._refused: set[str] = set()
        #: The highest controls version seen: a lower one means Redis lost the hash.
        self._seen = -1
        self._resets = None
        self.dropped = 0
        self.sent = 0
        #: Tells this producer's runs from those of one before it (a restart starts at step 1).
        self._generation = secrets.token_hex(8)
        #: Descriptions of this producer's latest runs, and which of them Redis has.
        self._runs: dict[str, str] = {}
        self._announced: set[str] = set()
        self._cleared = False  # the runs of producers before this one are deleted
        self._unreachable = False  # said so since the last connect

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
            self._queue({"run": self._run_id(), "first": int(x[0]), "y": y.tobytes(),
                         "v": repr(self.model.schedule.last_variance), "t": repr(time.time())})
        self._flush()

    def _run_id(self) -> str:
        run = f"{self._generation}:{self.model.run}"
        if run not in self._runs:
            settings = {name: getattr(self.model, name) for name in RUN_SETTINGS}
            self._runs[run] = describe_run(self.model.run, self.model.entropy, settings)
            while len(self._runs) > RUNS_KEPT:
                del self._runs[next(iter(self._runs))]
        return run

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
            if not self._cleared:
                pipe.delete(RUNS)
            announced = {run for run in self._announced if run in self._runs}
            entries = stream_entries(self.model)
            for entry in self._pending:
                run = entry["run"]
                if run not in announced and run in self._runs:
                    pipe.hset(RUNS, run, self._runs[run])  # before the run's first entry
                    announced.add(run)
            for run in self._announced - announced:
                pipe.hdel(RUNS, run)
            for entry in self._pending:
                pipe.xadd(STREAM, entry, maxlen=entries, approximate=True)
            pipe.execute()
            self._cleared = True
            self._announced = announced
            self.sent += len(self._pending)
            self._pending.clear()
        except Exception as error:  # Redis unreachable: keep the updates, retry next tick
            self._lost(error)

    def _client(self):
        if self._redis is None:
            client = connect(self.url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)  # raises while Redis is unreachable: nothing kept
            self._redis, self._pubsub = client, pubsub
            self._version = -1  # read the controls again after a reconnect
            self._announced = set()  # and describe the runs again (Redis may have restarted)
            self._unreachable = False
            log.info("producer connected to %s (%d updates to write)", self.url,
                     len(self._pending))
        return self._redis

    def _lost(self, error: Exception) -> None:
        """Forget the connection; said once per outage (each tick retries)."""
        if not self._unreachable:
            log.warning("producer cannot reach Redis (%s); its updates are kept until it is "
                        "back", error)
            self._unreachable = True
        self._redis = self._pubsub = None

    def _apply_controls(self) -> None:
        try:
            client = self._client()
            announced = False
            while self._pubsub.get_message(timeout=0) is not None:
                announced = True
            if not announced and self._version >= 0:
                return
            controls = parse_controls(client.hgetall(CONTROLS))
            if controls.version < self._seen:
                # Redis came back without the hash (no persistence): write the controls in
                # force back, so every viewer shows them; no reset is implied. The runs'
                # descriptions are gone too: announce them again.
                client.eval(SET_CONTROLS, 2, CONTROLS, CHANNEL, "variance",
                            encode("variance", self.model.variance), "paused",
                            encode("paused", self.model.paused))
                controls = parse_controls(client.hgetall(CONTROLS))
                self._resets = controls.reset
                self._announced = set()
                log.info("controls written back to Redis (version %d)", controls.version)
        except Exception as error:
            self._lost(error)
            return
        if controls.version <= self._version:
            return
        self._version = self._seen = controls.version
        values = {name: controls.values[name] for name in CONTROLS_FIELDS
                  if name in controls.values}
        values, refusals = accepted(self.model, values)  # checked by the viewers too
        for message in [*controls.problems, *refusals]:
            if message not in self._refused:  # said once while it stays in the hash
                log.warning("a control in Redis refused: %s", message)
        self._refused = {*controls.problems, *refusals}
        self.model.param.update(**values)
        if self._resets is not None and controls.reset != self._resets:
            self.model.reset()
            self._queue({"run": self._run_id(), "first": 1, "y": b"", "v": "0.0"})
        self._resets = controls.reset
