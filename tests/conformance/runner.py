"""Runs the conformance scenarios (``scenarios.json``) through any ``Driver``.

The file holds ``settings`` (the gateway settings every profile runs with),
``values`` (named order values), ``scenarios`` (named lists of steps) and
``illegalTransitions`` (per reachable state: how to reach it and
which ``moves`` are legal there; the runner expands every other move into one
step that must fail with ``illegalState`` and change nothing).

A step is ``{"actor", "operation", "args", "as", "expect", "note"}``, and
``"outage": true`` for a step the gateway makes while cut off from its
database (the driver's ``outage()``; such scenarios run on PostgreSQL only).  In
``args`` and ``expect``: ``"$o1"`` is the id of the order created ``"as": "o1"``
(``"as"`` is a list for bulk creates); ``"#k1"`` is a client-supplied key made
unique per run (so profiles sharing a database never collide);
``"@twoItems"`` or ``{"@": "twoItems", ...}`` is a named value (with
overrides); ``"@sample:TMF641-ServiceOrder"`` is an official TMF sample as a
client creates it, in canonical form (``official.canonical``), taken as it is
(nothing in it is a reference).  Keys are references only when they start
with ``$`` or ``#`` (``@type`` is TMF's).  A scenario's ``kind`` is the
default ``args.kind``; an order's own kind is used for steps naming it.

``expect`` (see ``expectations``): ``error`` (absent: must succeed); the
concerned order's ``state``, ``items`` (every item's state by id, items
inside items too), ``version``, ``removed``,
``unchanged`` (read back by ``admin`` after the step); ``events`` emitted by
the step (absent: none), as types or ``{"type", "state", "previousState",
"itemChanges"}``; for several orders, ``orders``/``events`` keyed by ``$ref``;
result checks ``results``, ``total``, ``count``, ``ids``, ``feasible``,
``itemsFeasible``, ``history``, ``contains``, ``fieldsInclude``/``Exclude``,
``document`` (the result holds every attribute of the given document, unchanged).
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conformance import official
from tests.conformance.driver import Driver, Reply
from tests.conformance.expectations import Observed, documents, event_checks, item_states, step_checks

SCENARIOS = Path(__file__).with_name("scenarios.json")


class ScenarioFailed(AssertionError):
    """A step did not conform; the message names the profile, scenario and step."""


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    steps: tuple[dict[str, Any], ...]

    @property
    def outage(self) -> bool:
        """A step runs while the database is out of reach (``"outage": true``): PostgreSQL only,
        through a driver whose ``outage()`` cuts the gateway off its database."""
        return any(step.get("outage") for step in self.steps)


@dataclass(frozen=True)
class TraceEntry:
    step: int
    label: str
    error: str | None
    states: dict[str, tuple[str | None, dict[str, str]]]  # order id -> (state, item states)
    events: dict[str, list[str]]  # order id -> events emitted by the step (see event_label)
    operation: str = ""

    def __str__(self) -> str:
        states = "; ".join(f"{s} {items}" for s, items in self.states.values())
        events = [t for ts in self.events.values() for t in ts]
        return f"  {self.step:>3} {self.label}: {self.error or 'ok'} | {states} | {events}"


# case name -> (driver name, trace) of every complete run in this session
TRACES: dict[str, list[tuple[str, list[TraceEntry]]]] = {}


def event_label(event: dict[str, Any]) -> str:
    """An event as the traces compare it: type, state change, item state changes."""
    label = str(event.get("type", "?"))
    if event.get("previousState") or label == "OrderStateChange":
        label += f" {event.get('previousState')}->{event.get('state')}"
    if event.get("taskState"):
        label += f" task {event['taskState']}"
    items = sorted((c.get("itemId", "?"), c.get("state", "?")) for c in event.get("itemChanges") or [])
    if items:
        label += " [" + ", ".join(f"{i}:{s}" for i, s in items) + "]"
    return label


def load(path: Path = SCENARIOS) -> dict[str, Any]:
    suite: dict[str, Any] = json.loads(path.read_text())
    return suite


def catalog_path(suite: dict[str, Any]) -> str | None:
    """The decomposition catalog every profile runs the suite with (ORDERGATE_CATALOG), if any."""
    given = suite.get("settings", {}).get("catalog")
    return str(Path(__file__).resolve().parents[2] / given) if given else None


def gateway_settings(suite: dict[str, Any]) -> dict[str, Any]:
    """What every profile's gateway runs the suite with (GatewaySettings fields)."""
    return {"switched_off": switched_off(suite), "catalog_path": catalog_path(suite), "extra": EXTRA}


def switched_off(suite: dict[str, Any]) -> str:
    """The gateway setting every profile runs the suite with (ORDERGATE_SWITCHED_OFF)."""
    return str(suite.get("settings", {}).get("switchedOff", ""))


def cases(suite: dict[str, Any], driver: Driver | None = None) -> list[Case]:
    """Every scenario, then one case per state of the illegal-transition section."""
    out = [Case(s["name"], s.get("kind", "serviceOrder"), tuple(s["steps"])) for s in suite["scenarios"]]
    section = suite["illegalTransitions"]
    for entry in section["states"]:
        steps = list(entry["reach"]) + illegal_moves(section["moves"], entry, driver)
        out.append(
            Case(
                f"illegal transitions from {entry['state']}",
                section.get("kind", "serviceOrder"),
                tuple(steps),
            )
        )
    return out


def illegal_moves(
    moves: dict[str, dict[str, Any]], entry: dict[str, Any], driver: Driver | None
) -> list[dict[str, Any]]:
    """One step per move not legal in the entry's state.

    A profile that carries two operations as one request (``driver.alike``,
    e.g. REST's PATCH state=inProgress for both start and resume) cannot tell
    them apart: a move whose twin is legal here is left out for it."""
    alike: dict[str, str] = getattr(driver, "alike", {}) if driver else {}
    legal = {(moves[m]["actor"], moves[m]["operation"]) for m in entry["legal"]}
    steps = []
    for name, move in moves.items():
        if name in entry["legal"] or (move["actor"], alike.get(move["operation"])) in legal:
            continue
        steps.append(
            {
                "actor": move["actor"],
                "operation": move["operation"],
                "args": {"id": "$o", **move.get("args", {})},
                "expect": {"error": move.get("error", "illegalState"), "unchanged": True},
                "note": f"{name} is illegal from {entry['state']}",
            }
        )
    return steps


@dataclass
class ScenarioRun:
    driver: Driver
    case: Case
    values: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)  # alias -> order id
    kinds: dict[str, str] = field(default_factory=dict)  # order id -> kind
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    trace: list[TraceEntry] = field(default_factory=list)

    async def run(self) -> list[TraceEntry]:
        for number, step in enumerate(self.case.steps, start=1):
            await self.step(number, step)
        return self.trace

    def resolve(self, obj: Any, strict: bool = True) -> Any:
        """Substitute references; not strict: leave the orders this step is yet to create."""
        if isinstance(obj, str) and obj.startswith("$"):
            if obj[1:] not in self.refs and not strict:
                return obj
            if obj[1:] not in self.refs:
                raise ScenarioFailed(f"scenario {self.case.name!r}: {obj} names no order created so far")
            return self.refs[obj[1:]]
        if isinstance(obj, str) and obj.startswith("#"):
            return f"{obj[1:]}-{self.token}"
        if isinstance(obj, str) and obj.startswith("@"):
            return self.named(obj[1:])
        if isinstance(obj, dict) and "@" in obj:
            base = self.named(obj["@"])
            return {**base, **self.resolve({k: v for k, v in obj.items() if k != "@"})}
        if isinstance(obj, dict):
            return {
                (k if k.startswith("@") else self.resolve(k, strict)): self.resolve(v, strict)
                for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [self.resolve(v, strict) for v in obj]
        return obj

    def named(self, name: str) -> Any:
        """A named value (its references resolved), or an official sample (taken as it is)."""
        if name.startswith("sample:"):
            return official.canonical(name.removeprefix("sample:"))
        return self.resolve(copy.deepcopy(self.values[name]))

    def _kind(self, args: dict[str, Any]) -> str:
        return args.get("kind") or self.kinds.get(args.get("id", ""), self.case.kind)

    async def read(self, order_id: str) -> dict[str, Any] | None:
        reply = await self.driver.call(
            "admin", "getOrderByKey", {"kind": self.kinds.get(order_id, self.case.kind), "id": order_id}
        )
        return reply.result if reply.error is None else None

    async def _events(self, order_id: str, seen: int, wanted: list[Any]) -> list[dict[str, Any]]:
        """The order's events since ``seen``. A jeopardy alert comes from the clock, not from the
        step (an official sample's dates are long past), and a cancel task's events come beside the
        order's own: they count only where the step wants one of their kind."""
        wanted_types = {_event_type(w) for w in wanted}
        aside = {t for group in _ASIDE for t in group if not wanted_types & group}
        deadline = time.monotonic() + getattr(self.driver, "event_timeout", 5.0)
        while True:
            new = (await self.driver.events(order_id))[seen:]
            new = [e for e in new if e.get("type") not in aside]
            if len(new) >= len(wanted) or time.monotonic() > deadline:
                return new
            await asyncio.sleep(0.02)

    def _concerned(self, step: dict[str, Any], args: dict[str, Any], expect: dict[str, Any]) -> list[str]:
        if "orders" in expect:
            return list(expect["orders"])
        if "order" in expect:
            return [expect["order"]]
        alias = step.get("as")
        if isinstance(alias, str):
            return [self.refs[alias]] if alias in self.refs else []
        if isinstance(alias, list):
            return [self.refs[a] for a in alias if a in self.refs]
        return [args["id"]] if isinstance(args.get("id"), str) and args["id"] in self.kinds else []

    def _name(self, step: dict[str, Any], args: dict[str, Any], reply_result: Any) -> None:
        alias = step.get("as")
        kind = self._kind(args)
        if isinstance(alias, str) and isinstance(reply_result, dict) and "id" in reply_result:
            self.refs[alias], self.kinds[reply_result["id"]] = reply_result["id"], kind
        if isinstance(alias, list) and isinstance(reply_result, list):
            for name, result in zip(alias, reply_result, strict=False):
                doc = result.get("order", result) if isinstance(result, dict) else None
                if name and doc and "id" in doc:
                    self.refs[name], self.kinds[doc["id"]] = doc["id"], kind

    async def _parts(self, number: int, step: dict[str, Any]) -> None:
        """``"parts": {"alias": ["$parent", "part", "kind"]}``: name the order that realizes a
        part of the parent (decomposition), found as a client finds it: a query on the parent,
        through the profile under test (its one item is named after its part)."""
        for alias, (parent, part, kind) in step.get("parts", {}).items():
            parent_id = self.resolve(parent)
            query = {"kind": kind, "criteria": [["parent.orderId", "eq", [parent_id]]]}
            reply = await self.driver.call("admin", "queryOrders", query)
            found = [
                d["id"]
                for d in documents(reply.result)
                if [i.get("id") for i in d.get("items", [])] == [part]
            ]
            if reply.error is not None or len(found) != 1:
                raise ScenarioFailed(
                    f"[{self.driver.name}] scenario {self.case.name!r}, step {number}: "
                    f"{kind} for part {part!r} of {parent_id}: {reply.error or found}"
                )
            self.refs[alias], self.kinds[found[0]] = found[0], kind

    async def step(self, number: int, step: dict[str, Any]) -> None:
        args = self.resolve(step.get("args", {}))
        args.setdefault("kind", self._kind(args))
        label = step.get("note") or f"{step['actor']} {step['operation']}"
        known = [
            o
            for o in self._concerned(step, args, self.resolve(step.get("expect", {}), False))
            if o in self.kinds
        ]
        seen = Observed(reply=None)  # type: ignore[arg-type]
        counts = {}
        for order_id in known:
            if step.get("expect", {}).get("unchanged"):
                seen.before[order_id] = await self.read(order_id)
            counts[order_id] = len(await self.driver.events(order_id))
        if step.get("outage"):
            outage = getattr(self.driver, "outage", None)
            if outage is None:
                raise ScenarioFailed(
                    f"scenario {self.case.name!r}: the {self.driver.name} driver has no outage()"
                )
            async with outage():
                seen.reply = await self.driver.call(step["actor"], step["operation"], args)
        elif step["operation"] == CLOCK:  # not a profile's operation: time passing, the watch's round
            await self.driver.jeopardy_round()  # type: ignore[attr-defined]
            seen.reply = Reply(result=None)
        else:
            seen.reply = await self.driver.call(step["actor"], step["operation"], args)
        self._name(step, args, seen.reply.result)
        await self._parts(number, step)
        expect = self.resolve(step.get("expect", {}))
        concerned = self._concerned(step, args, expect)
        for order_id in concerned:
            seen.after[order_id] = await self.read(order_id)
        problems = step_checks(expect, seen, concerned)
        wanted_events = expect.get("events", [])
        for order_id in concerned:
            wanted = wanted_events.get(order_id, []) if isinstance(wanted_events, dict) else wanted_events
            seen.events[order_id] = await self._events(order_id, counts.get(order_id, 0), wanted)
            problems += event_checks(wanted, seen.events[order_id], order_id)
        self.trace.append(
            TraceEntry(
                number,
                label,
                seen.reply.error,
                {o: ((d or {}).get("state"), item_states(d)) for o, d in seen.after.items()},
                {o: [event_label(e) for e in evs] for o, evs in seen.events.items()},
                step["operation"],
            )
        )
        if problems:
            raise ScenarioFailed(self.failure(number, step, label, problems))

    def failure(self, number: int, step: dict[str, Any], label: str, problems: list[str]) -> str:
        trace = "\n".join(str(t) for t in self.trace[-8:])
        return (
            f"[{self.driver.name}] scenario {self.case.name!r}, step {number} ({label}: "
            f"{step['actor']} {step['operation']}):\n  - "
            + "\n  - ".join(problems)
            + f"\ntrace (last steps):\n{trace}"
        )


# Every profile's gateway runs without its own jeopardy watch: the scenarios play the clock
# (CLOCK steps), so that no round happens between two steps by chance.
EXTRA = {"jeopardy_watch": "off"}
CLOCK = "jeopardyRound"  # a step of the clock: one round of the jeopardy watch, in every driver
_ASIDE = (frozenset({"OrderJeopardy"}), frozenset({"CancelOrderCreate", "CancelOrderStateChange"}))


def _event_type(wanted: Any) -> Any:
    return wanted.get("type") if isinstance(wanted, dict) else wanted


async def run_case(driver: Driver, case: Case, suite: dict[str, Any]) -> list[TraceEntry]:
    """Run one case; its trace, or ScenarioFailed naming the scenario and step.

    Every complete trace is kept (``TRACES``) for the cross-profile comparison."""
    trace = await ScenarioRun(driver, case, suite.get("values", {})).run()
    TRACES.setdefault(case.name, []).append((driver.name, trace))
    return trace
