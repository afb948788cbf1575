"""What the producer and the subscribers of a Redis feed agree on: keys, entry fields, the
controls script, and how values are written.

An update is one stream entry: ``run`` (the producer's generation and run number), ``first``
(its first step), ``y`` (float64 bytes of the first path), ``v`` (the variance it was drawn
with) and ``t`` (the producer's clock). ``RUNS`` maps each recent run to its description.
"""

from __future__ import annotations

import json
import math
from typing import NamedTuple

import numpy as np

from ..model.walk import BrownianMotion

#: Redis keys: the stream of updates, the runs' descriptions, the controls hash and channel.
STREAM, RUNS = "brownian:points", "brownian:runs"
CONTROLS, CHANNEL = "brownian:controls", "brownian:controls"

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

#: The controls a viewer may set.
CONTROLS_FIELDS = ("variance", "paused")

#: Runs whose description ``RUNS`` keeps (older ones are deleted by the producer).
RUNS_KEPT = 16


def connect(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=5.0,
                                health_check_interval=0)


class Controls(NamedTuple):
    """The controls hash, read: ``version`` and ``reset`` counters (0 when missing), the
    ``values`` that parsed (variance, paused) and why each other field was skipped."""

    version: int
    reset: int
    values: dict
    problems: list[str]


def parse_controls(fields: dict[bytes, bytes]) -> Controls:
    """The controls hash as written by ``SET_CONTROLS``; a field that does not parse is left
    out and said why (its range is the model's to check: ``validation.accepted``)."""
    counters, values, problems = {"version": 0, "reset": 0}, {}, []
    for key, raw in fields.items():
        name = key.decode("utf-8", "replace")
        try:
            text = raw.decode("ascii")
            if name in counters:
                counters[name] = int(text)
            elif name == "variance":
                values[name] = float(text)
            elif name == "paused":
                if text not in ("0", "1"):
                    raise ValueError("not 0 or 1")
                values[name] = text == "1"
        except ValueError as error:
            problems.append(f"the controls field {name} = {raw[:40]!r} was skipped: {error}")
    return Controls(counters["version"], counters["reset"], values, problems)


class Entry(NamedTuple):
    """A stream entry, read: its run, first step, values and the variance drawn with (NaN:
    not said)."""

    run: str
    first: int
    y: np.ndarray
    variance: float


#: The largest step between two values that a valid entry holds: 40 standard deviations at
#: the largest variance (a draw this far out has probability under 1e-300).
MAX_STEP = 40 * math.sqrt(BrownianMotion.param.variance.bounds[1])

_MAX_POINTS = BrownianMotion.param.batch.bounds[1]
_LOWEST, _HIGHEST = BrownianMotion.param.variance.bounds


def parse_entry(fields: dict[bytes, bytes]) -> Entry:
    """A stream entry as the producer writes it; ``ValueError`` says what is wrong with any
    other (missing or malformed fields, values that are not finite or not a random walk's)."""
    try:
        run, first, raw = fields[b"run"].decode("ascii"), int(fields[b"first"]), fields[b"y"]
    except (KeyError, UnicodeDecodeError) as error:
        raise ValueError(f"no readable field {error}") from None
    if not (1 <= first < 2**53):
        raise ValueError(f"first step {first} out of range")
    if len(raw) % 8 or len(raw) // 8 > _MAX_POINTS:
        raise ValueError(f"y holds {len(raw)} bytes, not up to {_MAX_POINTS:,} float64 values")
    y = np.frombuffer(raw, dtype=np.float64)
    if not np.isfinite(y).all():
        raise ValueError("y holds a value that is not finite")
    if len(y) and np.abs(y).max() > MAX_STEP * (first + len(y)):
        raise ValueError("y holds a value farther from 0 than a walk gets by its step")
    if len(y) > 1 and np.abs(np.diff(y)).max() > MAX_STEP:
        raise ValueError(f"y steps by more than {MAX_STEP:.3g}: not a random walk")
    variance = float(fields[b"v"]) if b"v" in fields else math.nan
    if not (variance != variance or _LOWEST <= variance <= _HIGHEST):
        raise ValueError(f"variance {variance} out of range")
    return Entry(run, first, y, variance)


def encode(name: str, value) -> str:
    return ("1" if value else "0") if name == "paused" else repr(float(value))


def describe_run(number: int, entropy: int, settings: dict) -> str:
    """``RUNS``' value for a run: its number, the generator's entropy and the model's
    settings (``model.mirror.RUN_SETTINGS``)."""
    return json.dumps({"number": number, "entropy": entropy, "settings": settings})


def read_run(value: bytes | None) -> dict | None:
    return None if value is None else json.loads(value)
