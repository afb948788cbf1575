"""``python -m brownian_panel``: the same as the ``brownian-panel`` command."""

from .cli import main

main()
