"""Ordergate's composition root: settings, wiring, and the ``ordergate`` command."""

from importlib import metadata

try:
    __version__ = metadata.version("ordergate")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "unknown"
