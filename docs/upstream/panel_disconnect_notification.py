"""Panel's config.disconnect_notification keeps every ended session's document alive.

Run: python panel_disconnect_notification.py -> prints how many entries pn.state._views holds
after 20 sessions opened and ended (20 on Panel 1.9.4 and 1.10.0; 0 without the setting).
"""
import gc
import socket
import sys
import time

import panel as pn
from bokeh.client import pull_session

pn.config.disconnect_notification = "Connection lost" if "--off" not in sys.argv else ""

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
server = pn.serve({"app": lambda: pn.pane.Markdown("hello")}, port=port, address="127.0.0.1",
                  show=False, threaded=True, start=True,
                  check_unused_sessions_milliseconds=200, unused_session_lifetime_milliseconds=200)
time.sleep(1)
for _ in range(20):
    session = pull_session(url=f"http://127.0.0.1:{port}/app")
    session.close()
time.sleep(3)  # the server discards the unused sessions
gc.collect()
print("sessions live:", pn.state.session_info["live"],
      "| pn.state._views entries:", len(pn.state._views))
server.stop()
