"""Comparing the traces of one scenario across profiles, and the coverage they add up to.

Order ids differ per run, so a trace is compared in a normalised form: each
order id becomes ``o1``, ``o2`` ... in the order the trace first names it.  A
profile that cannot tell two operations apart skips some generated steps
(``Driver.alike``), so the steps are aligned by their labels: a step of the
shorter trace is compared with the next step of the longer one carrying the
same label.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.conformance.runner import TraceEntry

PROFILES = ("core", "rest", "amqp", "soap")

Normal = tuple[str, str, str, tuple[Any, ...], tuple[Any, ...]]  # label, operation, error, states, events


def normalise(trace: list[TraceEntry]) -> list[Normal]:
    aliases: dict[str, str] = {}

    def alias(order_id: str) -> str:
        return aliases.setdefault(order_id, f"o{len(aliases) + 1}")

    out = []
    for e in trace:
        states = tuple(
            (alias(o), state, tuple(sorted(items.items()))) for o, (state, items) in e.states.items()
        )
        events = tuple((alias(o), tuple(evs)) for o, evs in e.events.items())
        out.append((e.label, e.operation, e.error or "ok", states, events))
    return out


def _show(step: Normal) -> str:
    _label, _op, error, states, events = step
    shown_states = "; ".join(f"{o} {s} {dict(items)}" for o, s, items in states) or "-"
    shown_events = "; ".join(f"{o}: {list(evs)}" for o, evs in events) or "-"
    return f"{error} | states: {shown_states} | events: {shown_events}"


def first_difference(name: str, a: tuple[str, list[Normal]], b: tuple[str, list[Normal]]) -> str | None:
    """None when b agrees with a step by step; else a readable diff of the step where they part."""
    (pa, ta), (pb, tb) = a, b
    longer, shorter, pl, ps = (ta, tb, pa, pb) if len(ta) >= len(tb) else (tb, ta, pb, pa)
    i = 0
    for number, step in enumerate(shorter, start=1):
        while i < len(longer) and longer[i][0] != step[0]:
            i += 1
        if i == len(longer):
            return f"scenario {name!r}: {ps} has step {number} ({step[0]}) that {pl} never ran"
        if longer[i] != step:
            return (
                f"scenario {name!r}: {pl} and {ps} part at step {number} ({step[0]}: {step[1]})\n"
                f"  {pl:<5}: {_show(longer[i])}\n"
                f"  {ps:<5}: {_show(step)}"
            )
        i += 1
    return None


def disagreements(traces: dict[str, list[tuple[str, list[TraceEntry]]]]) -> list[str]:
    out = []
    for name, runs in sorted(traces.items()):
        normal = [(profile, normalise(t)) for profile, t in runs]
        reference = next((r for r in normal if r[0] == "core"), normal[0])
        for other in normal:
            if other is not reference and (diff := first_difference(name, reference, other)):
                out.append(diff)
    return out


def coverage(
    traces: dict[str, list[tuple[str, list[TraceEntry]]]],
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """(operation, profile) -> steps run; (error kind, profile) -> steps that got it."""
    operations: Counter[tuple[str, str]] = Counter()
    errors: Counter[tuple[str, str]] = Counter()
    for runs in traces.values():
        for profile, trace in runs:
            for e in trace:
                operations[(e.operation, profile)] += 1
                if e.error:
                    errors[(e.error, profile)] += 1
    return operations, errors


def table(title: str, rows: list[str], counts: Counter[tuple[str, str]], profiles: tuple[str, ...]) -> str:
    width = max(len(r) for r in [*rows, title])
    lines = [f"{title:<{width}} | " + " | ".join(f"{p:>5}" for p in profiles)]
    lines.append("-" * len(lines[0]))
    for r in rows:
        cells = [str(counts[(r, p)]) if counts[(r, p)] else "  -" for p in profiles]
        lines.append(f"{r:<{width}} | " + " | ".join(f"{c:>5}" for c in cells))
    return "\n".join(lines)
