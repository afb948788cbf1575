"""Exact export of a run's history as CSV (``Export``), served by a Tornado route."""

from .csv import EXPORTS, Export, ExportInterrupted, route_installed

__all__ = ["EXPORTS", "Export", "ExportInterrupted", "route_installed"]
