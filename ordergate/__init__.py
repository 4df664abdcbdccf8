"""Ordergate's composition root: settings, wiring, and the ``ordergate`` command."""
