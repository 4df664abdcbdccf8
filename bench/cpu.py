"""CPU time of processes on this host, read from ``/proc`` (Linux; elsewhere nothing is read).

The benchmarks use it to say where a request's CPU goes: in the responder
processes, the broker and the database server, which all share the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU seconds of the processes (those gone count nothing)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def pids_named(*names: str) -> list[int]:
    """The processes whose command name is one of ``names`` (e.g. ``beam.smp``, ``postgres``)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "comm").read_text().strip() in names:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


class CpuMeter:
    """CPU seconds spent by groups of processes while a measured slice runs."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start: dict[str, float] = {}

    def start(self, groups: dict[str, list[int]]) -> None:
        self._groups = groups
        self._start = {name: cpu_seconds(pids) for name, pids in groups.items()}

    def stop(self) -> None:
        for name, pids in self._groups.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + cpu_seconds(pids) - self._start[name]
