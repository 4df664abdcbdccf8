"""``ordergate serve`` with several worker processes (``ORDERGATE_WORKERS``).

One Python process runs on one core.  With ``workers`` above one, the
command becomes a supervisor that starts that many gateway processes and
restarts any that dies.  Each worker is a whole gateway: it serves HTTP on
the same port (``SO_REUSEPORT``: the kernel spreads connections), consumes
the AMQP request queue beside the others (competing consumers, each with its
prefetch), and runs an outbox relay and hub dispatcher, of which the lease
lets one at a time work.  Exactly-once answers across workers come from the
request log, as across restarts.

SIGTERM or SIGINT stops the workers (each finishes what it has in flight)
and then the supervisor.

Metrics are the host's: the supervisor names one directory in every
worker's environment (``PROMETHEUS_MULTIPROC_DIR``: the operator's, emptied
at start, or a temporary one), where each worker writes its figures and
from which a scrape of any worker adds them all up; when a worker exits,
its live gauges are removed (``adapters.operations.multiprocess``).

Before any worker starts, ``supervise`` checks once what every worker would
check (credentials file, port, database, schema, broker), so a misstep ends
the command with one line instead of N workers failing and being restarted.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType

from ordergate.settings import GatewaySettings

log = logging.getLogger("ordergate.workers")

WORKER_ENV = "ORDERGATE_WORKER"  # set in a worker's environment: it serves, never supervises
BAD_SETTINGS = 2  # a worker's exit code when a setting cannot be used: restarting cannot help
PR_SET_PDEATHSIG = 1
STOP_SECONDS = 30.0


class Supervisor:
    def __init__(
        self,
        command: Sequence[str],
        workers: int,
        env: dict[str, str] | None = None,
        exited: Callable[[int], None] = lambda _pid: None,
    ) -> None:
        self._command = list(command)
        self._workers = workers
        self._env = {**(os.environ if env is None else env), WORKER_ENV: "1"}
        self._exited = exited  # told the pid of each worker that is gone
        self._stopping = False

    def stop(self, _signum: int = 0, _frame: FrameType | None = None) -> None:
        self._stopping = True

    def _start(self, index: int) -> subprocess.Popen[bytes]:
        # A session of its own: a terminal's Ctrl-C or a signal to the supervisor's group
        # reaches the supervisor only, which stops each worker once.  A worker whose
        # supervisor dies is sent SIGTERM by the kernel instead of serving on, orphaned.
        process = subprocess.Popen(
            self._command,
            env={**self._env, WORKER_ENV: str(index)},
            start_new_session=True,
            preexec_fn=_end_with_parent,
        )
        log.info("worker %d started (pid %d)", index, process.pid)
        return process

    def run(self) -> int:
        """Start the workers and keep them running until stopped; the command's exit code."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        processes = [self._start(i + 1) for i in range(self._workers)]
        started = [time.monotonic()] * self._workers
        pause = [0.0] * self._workers  # before a restart: grows while a worker keeps dying young
        restarted = [False] * self._workers
        code = 0
        try:
            while not self._stopping:
                for i, process in enumerate(processes):
                    status = process.poll()
                    if status is None:
                        continue
                    self._exited(process.pid)
                    if status == BAD_SETTINGS and not restarted[i]:
                        # at first start: the settings are bad for every worker alike
                        log.error("worker %d refused its settings; stopping", i + 1)
                        self._stopping, code = True, BAD_SETTINGS
                        break
                    young = time.monotonic() - started[i] < 10.0
                    pause[i] = min(30.0, max(1.0, pause[i] * 2)) if young else 0.0
                    log.warning(
                        "worker %d (pid %d) exited with %s; starting another in %.0f s",
                        i + 1,
                        process.pid,
                        status,
                        pause[i],
                    )
                    self._sleep(pause[i])
                    if self._stopping:
                        break
                    processes[i], started[i] = self._start(i + 1), time.monotonic()
                    restarted[i] = True
                self._sleep(0.2)
        finally:
            self._stop_all(processes)
            for process in processes:
                self._exited(process.pid)
        return code

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    @staticmethod
    def _stop_all(processes: Sequence[subprocess.Popen[bytes]]) -> None:
        running = [p for p in processes if p.poll() is None]
        log.info("stopping %d workers (each finishes what it has in flight)", len(running))
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %d did not stop in time; killed", process.pid)
                process.kill()
                process.wait()
        log.info("all workers stopped")


def _end_with_parent() -> None:
    """In the worker, before it runs: SIGTERM when the supervisor dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the supervisor's own stop still applies
        pass


def worker_command(overrides: Sequence[str]) -> list[str]:
    """The command line of one worker: ``ordergate serve`` with the same overrides."""
    return [sys.executable, "-m", "ordergate.cli", "serve", *overrides]


async def _prepare_once(settings: GatewaySettings) -> None:
    from adapters.sql import SqlaOrderStore
    from ordergate.startup import prepare

    store = SqlaOrderStore(settings.database_url, native=False)
    try:
        log.info("%s", await prepare(store, settings))
    finally:
        await store.close()


def supervise(settings: GatewaySettings, overrides: Sequence[str]) -> int:
    """Check once what every worker needs (``StartupError`` if it is wrong), then run the workers."""
    from ordergate.bootstrap import load_credentials
    from ordergate.startup import listening_socket

    load_credentials(settings.credentials_path)
    listening_socket(settings, shared=True).close()
    asyncio.run(
        _prepare_once(settings)
    )  # the embedded SQLite file: migrated once, before the workers open it
    from adapters.operations.metrics import MULTIPROC_ENV
    from adapters.operations.multiprocess import MetricsDirectory

    metrics = MetricsDirectory.prepare(os.environ.get(MULTIPROC_ENV))
    log.info("supervising %d workers on %s:%d", settings.workers, settings.host, settings.port)
    try:
        env = {**os.environ, **metrics.environment}
        return Supervisor(worker_command(overrides), settings.workers, env, metrics.worker_exited).run()
    finally:
        metrics.remove()
