"""A load-generator process: ``count`` headless sessions, arrivals recorded in a fixed window.

    python -m benchmarks.loadgen URL COUNT PERIOD_MS START_EPOCH_S SECONDS [steps]

Opens the sessions, waits until ``START_EPOCH_S`` (wall clock), records the arrival time of
every update for ``SECONDS``, closes the sessions and prints one JSON line: updates delivered
and the intervals between a session's consecutive updates, in ms; with ``steps``, also each
arrival's last step and wall-clock time (for latency against a producer's timestamps). Also the
points each session received over the window.
Several of these processes spread the client work over processes (one process of 100 client
threads did not hold up).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from .harness import sessions


def main() -> None:
    url, count, period_ms, start, seconds = sys.argv[1:6]
    with sessions(url, int(count), {"period": period_ms}) as clients:
        time.sleep(max(0.0, float(start) - time.time()))
        first = [client.last_x for client in clients]
        for client in clients:
            client.record_arrivals = True
        time.sleep(float(seconds))
        for client in clients:
            client.record_arrivals = False
        points = [client.last_x - x for client, x in zip(clients, first, strict=True)]
    intervals = [1000 * interval for client in clients for interval in np.diff(client.arrivals)]
    report = {"delivered": sum(len(c.arrivals) for c in clients),
              "intervals_ms": [round(i, 2) for i in intervals],
              "points_per_session": points}
    if len(sys.argv) > 6 and sys.argv[6] == "steps":
        report["arrival_steps"] = [step for c in clients for step in c.arrival_steps]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
