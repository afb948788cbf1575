"""What the producer and the subscribers of a Redis feed agree on: keys, entry fields, the
controls script, and how values are written.

An update is one stream entry: ``run`` (the producer's generation and run number), ``first``
(its first step), ``y`` (float64 bytes of the first path), ``v`` (the variance it was drawn
with) and ``t`` (the producer's clock). ``RUNS`` maps each recent run to its description.
"""

from __future__ import annotations

import json

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


def parse_controls(fields: dict[bytes, bytes]) -> dict:
    values = {key.decode(): value.decode() for key, value in fields.items()}
    parsed: dict = {"version": int(values.get("version", 0)),
                    "reset": int(values.get("reset", 0))}
    if "variance" in values:
        parsed["variance"] = float(values["variance"])
    if "paused" in values:
        parsed["paused"] = values["paused"] == "1"
    return parsed


def encode(name: str, value) -> str:
    return ("1" if value else "0") if name == "paused" else repr(float(value))


def describe_run(number: int, entropy: int, settings: dict) -> str:
    """``RUNS``' value for a run: its number, the generator's entropy and the model's
    settings (``model.mirror.RUN_SETTINGS``)."""
    return json.dumps({"number": number, "entropy": entropy, "settings": settings})


def read_run(value: bytes | None) -> dict | None:
    return None if value is None else json.loads(value)
