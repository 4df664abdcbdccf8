"""Order values and keys in the vocabulary's terms, as a zeep caller writes them."""

from __future__ import annotations

from typing import Any


def item(item_id: str, spec: str = "fibre-100", **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "action": "add", "entity": {"specification": {"id": spec}}, **extra}


def service_value(*item_ids: str, **fields: Any) -> dict[str, Any]:
    """A feasible serviceOrderValue with the given items (two by default)."""
    return {**fields, "items": {"item": [item(i) for i in item_ids or ("1", "2")]}}


def key(order_id: str, kind: str = "serviceOrder") -> dict[str, str]:
    return {"type": kind, "primaryKey": order_id}


def order_values(values: Any) -> list[Any]:
    """The order values of an OrderValueList as zeep returns it (unwrapped to a list, or not)."""
    if values is None:
        return []
    entries = values if isinstance(values, list) else values["_value_1"] or []
    return [next(v for v in entry.values() if v is not None) for entry in entries]
