"""The supervisor's part of multiprocess metrics: one directory for the workers' figures.

The client library picks its value store when it is imported, from the
environment, so the directory is named in the workers' environment before
they start (``PROMETHEUS_MULTIPROC_DIR``), never set from inside a worker.
It is emptied at start (figures of an earlier run would add up with this
one's), a worker's live gauges are removed when it exits (its counters stay:
a host's totals do not go back when a worker is replaced), and a directory
the supervisor made for itself is removed when it stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

from prometheus_client import multiprocess

from adapters.operations.metrics import MULTIPROC_ENV


@dataclass(frozen=True)
class MetricsDirectory:
    path: str
    own: bool  # made by the supervisor (a temporary directory): removed when it stops

    @classmethod
    def prepare(cls, given: str | None) -> MetricsDirectory:
        """The operator's directory (``PROMETHEUS_MULTIPROC_DIR``), emptied, or a new temporary one."""
        if not given:
            return cls(tempfile.mkdtemp(prefix="ordergate-metrics-"), own=True)
        os.makedirs(given, exist_ok=True)
        empty(given)
        return cls(given, own=False)

    @property
    def environment(self) -> dict[str, str]:
        return {MULTIPROC_ENV: self.path}

    def worker_exited(self, pid: int) -> None:
        """A worker is gone: its live gauges (connections, requests in flight) no longer count."""
        multiprocess.mark_process_dead(pid, self.path)  # type: ignore[no-untyped-call]

    def remove(self) -> None:
        if self.own:
            shutil.rmtree(self.path, ignore_errors=True)


def empty(path: str) -> None:
    """Remove the figures files an earlier run left (``*.db``), nothing else."""
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
