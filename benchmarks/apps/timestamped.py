"""The app with the server's clock on every point (column t), for the latency benchmark."""
from brownian_panel import BrownianApp

BrownianApp(timestamps=True).servable(title="Brownian motion")
