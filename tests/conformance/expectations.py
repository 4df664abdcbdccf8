"""What a scenario step expects, compared with what a profile answered.

Every check returns the disagreements as readable sentences; an empty list
means the step conformed.  ``Observed`` is what the runner gathered for one
step: the reply, the order(s) it concerned read back afterwards, and the
events each of them emitted during the step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.conformance.driver import Reply


@dataclass
class Observed:
    reply: Reply
    before: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # order id -> document
    after: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # order id -> new events


def item_states(doc: dict[str, Any] | None) -> dict[str, str]:
    """Every item's state by its id, nested items too (an item holding items has a state of its own)."""
    out: dict[str, str] = {}
    stack = list(reversed((doc or {}).get("items") or []))
    while stack:
        item = stack.pop()
        out[item["id"]] = item.get("state", "?")
        stack.extend(reversed(item.get("items") or []))
    return out


def _order_checks(expect: dict[str, Any], order_id: str, seen: Observed) -> list[str]:
    doc = seen.after.get(order_id)
    problems = []
    if expect.get("removed"):
        return [] if doc is None else [f"order {order_id} still exists ({doc.get('state')})"]
    wanted = {k: expect[k] for k in ("state", "items", "version", "unchanged") if k in expect}
    if wanted and doc is None:
        return [f"order {order_id} cannot be read back"]
    if "state" in wanted and doc and doc.get("state") != wanted["state"]:
        problems.append(f"order state {doc.get('state')}, expected {wanted['state']}")
    if "items" in wanted and item_states(doc) != wanted["items"]:
        problems.append(f"item states {item_states(doc)}, expected {wanted['items']}")
    if "version" in wanted and doc and doc.get("version") != wanted["version"]:
        problems.append(f"version {doc.get('version')}, expected {wanted['version']}")
    before = seen.before.get(order_id)
    if wanted.get("unchanged") and before is not None and doc is not None:
        was = (before.get("state"), before.get("version"), item_states(before))
        now = (doc.get("state"), doc.get("version"), item_states(doc))
        if was != now:
            problems.append(f"order changed: {was} -> {now}")
    return problems


def _event_matches(want: str | dict[str, Any], got: dict[str, Any]) -> bool:
    if isinstance(want, str):
        return bool(got.get("type") == want)
    for key in ("type", "state", "previousState", "taskState"):
        if key in want and got.get(key) != want[key]:
            return False
    if "itemChanges" in want:
        changes = {c["itemId"]: c["state"] for c in got.get("itemChanges") or []}
        return changes == want["itemChanges"]
    return True


def _describe(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for e in events:
        moved = {c["itemId"]: c["state"] for c in e.get("itemChanges") or []}
        states = f" {e.get('previousState')}->{e.get('state')}" if e.get("type") == "OrderStateChange" else ""
        out.append(f"{e.get('type')}{states}{f' {moved}' if moved else ''}")
    return out


def event_checks(wanted: list[Any], got: list[dict[str, Any]], order_id: str) -> list[str]:
    if len(wanted) == len(got) and all(_event_matches(w, g) for w, g in zip(wanted, got, strict=True)):
        return []
    return [f"events of {order_id}: {_describe(got)}, expected {wanted}"]


def documents(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict) and "orders" in result:
        return list(result["orders"])
    return list(result) if isinstance(result, list) else []


def _outcome_agrees(want: dict[str, Any], got: dict[str, Any]) -> bool:
    """One best-effort outcome: the error expected, or success (with the state, when given)."""
    if "error" in want:
        return bool(got.get("error") == want["error"])
    if got.get("error"):
        return False
    return "state" not in want or (got.get("order") or {}).get("state") == want["state"]


def _outcome(got: dict[str, Any]) -> str:
    return got.get("error") or (got.get("order") or {}).get("state") or "ok"


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _instant(value: Any) -> datetime | None:
    """A date-time with its offset, as a point in time; None for anything else."""
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _same(want: Any, got: Any) -> bool:
    """Equal as JSON values: a truth value is no number, a date-time is compared as an instant
    (each profile may write the same instant its own way: ``.508Z``, ``.508000+00:00``)."""
    if isinstance(want, bool) or isinstance(got, bool):
        return type(want) is type(got) and want == got
    at, got_at = _instant(want), _instant(got)
    if at is not None and got_at is not None:
        return at == got_at
    return bool(want == got)


def document_checks(want: Any, got: Any, path: str = "") -> list[str]:
    """Every attribute of ``want`` is in ``got`` unchanged, at every level; ``got`` may hold more
    (what the server adds: states, dates, defaults).  Lists match entry by entry, in order."""
    where = path or "the document"
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{where}: {got!r}, expected an object"]
        out = []
        for key, value in want.items():
            inner = f"{path}.{key}" if path else key
            out += document_checks(value, got[key], inner) if key in got else [f"{inner}: missing"]
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{where}: {got!r}, expected {len(want)} entries: {want!r}"]
        return [
            p
            for i, (w, g) in enumerate(zip(want, got, strict=True))
            for p in document_checks(w, g, f"{path}[{i}]")
        ]
    return [] if _same(want, got) else [f"{where}: {got!r}, expected {want!r}"]


def result_checks(expect: dict[str, Any], result: Any) -> list[str]:
    """Checks on the reply's result itself (queries, bulk, reports, history, metadata)."""
    problems = []
    if "results" in expect:
        got, want = list(result or []), expect["results"]
        in_order = [r.get("index") for r in got] == list(range(len(want)))
        if not in_order or not all(_outcome_agrees(w, g) for w, g in zip(want, got, strict=True)):
            problems.append(
                f"outcomes {[(r.get('index'), _outcome(r)) for r in got]}, expected {want} in input order"
            )
    if "total" in expect and (result or {}).get("total") != expect["total"]:
        problems.append(f"total {(result or {}).get('total')}, expected {expect['total']}")
    if "count" in expect and len(documents(result)) != expect["count"]:
        problems.append(f"{len(documents(result))} orders returned, expected {expect['count']}")
    if "ids" in expect and [d.get("id") for d in documents(result)] != expect["ids"]:
        problems.append(f"ids {[d.get('id') for d in documents(result)]}, expected {expect['ids']}")
    if "feasible" in expect and (result or {}).get("feasible") != expect["feasible"]:
        problems.append(f"feasible {(result or {}).get('feasible')}, expected {expect['feasible']}")
    if "itemsFeasible" in expect:
        got_items = {i["itemId"]: i["feasible"] for i in (result or {}).get("items", [])}
        if got_items != expect["itemsFeasible"]:
            problems.append(f"item feasibility {got_items}, expected {expect['itemsFeasible']}")
    if "history" in expect:
        got_history = [[h.get("fromState"), h.get("toState"), h.get("itemId")] for h in result or []]
        if got_history != expect["history"]:
            problems.append(f"history {got_history}, expected {expect['history']}")
    for key in expect.get("contains", []):
        if key not in (result or []):
            problems.append(f"result lacks {key!r}")
    if "document" in expect:
        problems += document_checks(expect["document"], result)
    doc = result if isinstance(result, dict) else {}
    problems += [f"result lacks field {f!r}" for f in expect.get("fieldsInclude", []) if f not in doc]
    problems += [f"result has field {f!r}" for f in expect.get("fieldsExclude", []) if f in doc]
    return problems


def step_checks(expect: dict[str, Any], seen: Observed, concerned: list[str]) -> list[str]:
    """Every disagreement between one step's expectations and what was observed."""
    error = seen.reply.error
    problems = []
    if error != expect.get("error"):
        problems.append(
            f"{'error ' + error if error else 'success'}, expected {expect.get('error') or 'success'}"
        )
    elif error is None:
        problems += result_checks(expect, seen.reply.result)
    for order_id in concerned:
        order_expect = expect["orders"].get(order_id, {}) if "orders" in expect else expect
        problems += _order_checks(order_expect, order_id, seen)
    return problems
