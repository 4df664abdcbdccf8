"""Draws ``ordergate bench curve``'s points: throughput and p99 against concurrency, one line per
profile and worker count (matplotlib, the ``bench`` extra; never imported by the gateway)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STYLES = {"rest": "tab:blue", "soap": "tab:orange", "amqp": "tab:green"}


def draw(points: Sequence[Any], path: Path, caption: str) -> None:
    """Two panels side by side, concurrency on a log axis; solid for one worker, dashed for more."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter

    curves: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for point in points:
        curves[(point.profile, point.workers)].append(point)
    figure, (rate, p99) = plt.subplots(1, 2, figsize=(11, 4.2))
    for (profile, workers), line in sorted(curves.items()):
        line.sort(key=lambda p: p.concurrency)
        style = {
            "color": STYLES.get(profile, "tab:gray"),
            "linestyle": "-" if workers == 1 else "--",
            "marker": "o",
            "label": f"{profile.upper()}, {workers} worker{'s' if workers > 1 else ''}",
        }
        x = [p.concurrency for p in line]
        rate.plot(x, [p.rate for p in line], **style)
        p99.plot(x, [p.p99_ms for p in line], **style)
    concurrencies = sorted({p.concurrency for p in points})
    for axis, title, unit in ((rate, "Creates per second", "orders/s"), (p99, "p99 latency", "ms")):
        axis.set_xscale("log", base=2)
        axis.set_xticks(concurrencies, [str(c) for c in concurrencies])
        axis.set_xlabel("requests in flight (concurrency)")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    p99.set_yscale("log")
    p99.yaxis.set_major_formatter(ScalarFormatter())
    rate.legend(fontsize="small")
    figure.suptitle(f"Ordergate, creates by profile and worker count ({caption})", fontsize="medium")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
