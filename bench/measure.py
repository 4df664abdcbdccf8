"""Closed-loop load at a fixed concurrency, and the figures every benchmark prints.

A fixed number of workers each run one operation after the other until the
planned count is done, so throughput is orders per wall-clock second and each
latency is one operation as its caller saw it (queueing included).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Figures:
    """One measured run: how many orders, how long, and each order's latency."""

    backend: str
    operation: str
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    baseline: Figures | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None or not self.baseline.rate else self.rate / self.baseline.rate


async def run_load(
    count: int, concurrency: int, operation: Callable[[int], Awaitable[object]]
) -> tuple[float, list[float]]:
    """Run ``operation(i)`` for i in 0..count-1 on ``concurrency`` workers; (seconds, latencies)."""
    pending = iter(range(count))
    latencies: list[float] = []

    async def worker() -> None:
        # the workers share one iterator: each index is taken exactly once
        for i in pending:
            started = time.perf_counter()
            await operation(i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, count)))))
    return time.perf_counter() - started, latencies


Operation = Callable[[int], Awaitable[object]]


class Runner:
    """Numbers orders across runs so every order value is distinct; warms operations up;
    interleaves the operations under comparison."""

    def __init__(self, orders: int, concurrency: int) -> None:
        self.orders = orders
        self.concurrency = concurrency
        self.warmup = max(concurrency, min(200, orders // 5))
        self._next = 0

    async def warm(self, operation: Operation, count: int | None = None) -> None:
        await self._run(min(self.warmup, max(self.concurrency, (count or self.orders) // 10)), operation)

    async def measure(
        self, backend: str, name: str, operation: Operation, *, warm: bool = True, count: int | None = None
    ) -> Figures:
        count = count or self.orders
        if warm:
            await self.warm(operation, count)
        figures = Figures(backend, name, 0, 0.0)
        await self.add_slice(figures, operation, count)
        return figures

    async def add_slice(self, figures: Figures, operation: Operation, count: int) -> None:
        seconds, latencies = await self._run(count, operation)
        figures.count += count
        figures.seconds += seconds
        figures.latencies += latencies

    async def interleaved(self, backend: str, operations: dict[str, Operation], slices: int) -> list[Figures]:
        """Each operation runs ``orders`` times in ``slices`` slices taken in turns, so a burst
        of load from a neighbour falls on all of them alike; each one's figures sum its slices."""
        for operation in operations.values():
            await self.warm(operation)
        totals = {name: Figures(backend, name, 0, 0.0) for name in operations}
        for size in slice_sizes(self.orders, slices):
            for name, operation in operations.items():
                await self.add_slice(totals[name], operation, size)
        return list(totals.values())

    async def _run(self, count: int, operation: Operation) -> tuple[float, list[float]]:
        first, self._next = self._next, self._next + count
        return await run_load(count, self.concurrency, lambda i: operation(first + i))


def best(runs: Sequence[Figures]) -> Figures:
    """The fastest of repeated runs: on a shared machine, slower runs mostly measure the neighbours."""
    return max(runs, key=lambda f: f.rate)


def slice_sizes(total: int, slices: int) -> list[int]:
    """``total`` split into at most ``slices`` near-equal non-empty parts."""
    slices = max(1, min(slices, total))
    return [total // slices + (1 if i < total % slices else 0) for i in range(slices)]


def machine_line() -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()} on {platform.system()}"
    )


def table(rows: Sequence[Figures]) -> str:
    header = (
        f"{'backend':<10} {'operation':<26} {'orders':>7} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8}  vs raw"
    )
    lines = [header, "-" * len(header)]
    for f in rows:
        ratio = "-" if f.ratio is None else f"{f.ratio:.0%}"
        lines.append(
            f"{f.backend:<10} {f.operation:<26} {f.count:>7} {f.rate:>9.1f} "
            f"{f.percentile_ms(50):>8.1f} {f.percentile_ms(99):>8.1f}  {ratio:>6}"
        )
    return "\n".join(lines)


def verdict(figures: Figures, target: float, what: str) -> str:
    ratio = figures.ratio
    if ratio is None:
        return f"{what}: no baseline measured"
    met = "met" if ratio >= target else "NOT met"
    return f"{what}: {ratio:.0%} of the raw baseline (target {target:.0%}): {met}"


def peak_rss_bytes(pid: int) -> int | None:
    """The peak resident set size of a live process (``VmHWM`` in ``/proc/<pid>/status``, Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class PeakRss:
    """The highest peak RSS seen of each labelled server process, for the closing lines."""

    peaks: dict[str, int] = field(default_factory=dict)

    def note(self, label: str, pid: int) -> None:
        peak = peak_rss_bytes(pid)
        if peak is not None:
            self.peaks[label] = max(peak, self.peaks.get(label, 0))

    def lines(self) -> list[str]:
        return [f"peak RSS of {label}: {peak / 2**20:.0f} MiB" for label, peak in self.peaks.items()]


PEAKS = PeakRss()  # every server process a benchmark runs notes its peak here as it stops


@dataclass
class Server:
    url: str
    pid: int


@contextlib.asynccontextmanager
async def server(*module_args: str, label: str | None = None) -> AsyncIterator[Server]:
    """``python -m <module_args>`` printing ``PORT <n>``; yields its URL and pid, stops it on exit
    (its peak RSS noted in ``PEAKS`` under ``label``, by default the module and its first argument)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", *module_args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        if not line.startswith(b"PORT "):
            raise RuntimeError(f"{module_args[0]} did not start (exit status {await proc.wait()})")
        yield Server(f"http://127.0.0.1:{int(line.split()[1])}", proc.pid)
    finally:
        PEAKS.note(label or " ".join(module_args[:2]), proc.pid)
        proc.stdin.close()  # the server stops when its standard input closes
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@contextlib.asynccontextmanager
async def server_process(*module_args: str, label: str | None = None) -> AsyncIterator[str]:
    """``server``, yielding only its base URL."""
    async with server(*module_args, label=label) as running:
        yield running.url
