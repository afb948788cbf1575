"""On-demand measurements of brownian_panel (not run by the tests)."""
