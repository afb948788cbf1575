"""Helpers shared by the tests and the benchmarks (not shipped with the package): real
processes on loopback ports (redis-server, nginx, producer, panel backends) and a
``bokeh.client`` connection that reads its messages in a loop."""
