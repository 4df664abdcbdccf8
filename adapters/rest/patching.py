"""PATCH (JSON merge patch) -> one core call.

* ``{"state": "held", "stateReason": "..."}``: a transition request by target
  state (``change_order_state``); the core picks the client or fulfiller move.
* ``{"<itemKey>": [{"id": "1", "state": "completed"}]}`` (items carrying only
  id, state and stateReason): one item transition (``change_order_item_state``).
* anything else: an attribute change (``set_order``); arrays replace the whole
  list, ``null`` clears an attribute (RFC 7396).

A state change carries no other change, so mixing the forms is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.rest.names import tmf_words
from adapters.rest.parsing import order_value
from adapters.rest.validation import check_body
from adapters.rest.vocabulary import META, TmfKind
from core.document.parse import parse_state
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Caller, Order
from core.usecases import OrderManagement

_TRANSITION_KEYS = frozenset({"state", "stateReason"})


def _reason(doc: Mapping[str, Any], where: str) -> str | None:
    reason = doc.get("stateReason")
    if reason is not None and not isinstance(reason, str):
        raise IllegalAttributeValue(f"{where}stateReason", "must be a string")
    return reason


def _item_transition(tk: TmfKind, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The one item a transition-only PATCH moves, or None when the PATCH is not one."""
    items = body.get(tk.item_key)
    if not isinstance(items, list) or not items:
        return None
    if not all(
        isinstance(i, Mapping) and "state" in i and set(i) - META - {"@type"} <= _TRANSITION_KEYS | {"id"}
        for i in items
    ):
        return None
    others = sorted(set(body) - META - {tk.item_key})
    if others:
        raise IllegalArgument(f"an item state change carries no other change (found {', '.join(others)})")
    if len(items) != 1:
        raise IllegalArgument("one item state change per PATCH")
    only: Mapping[str, Any] = items[0]
    return only


async def apply_patch(
    orders: OrderManagement,
    caller: Caller,
    tk: TmfKind,
    order_id: str,
    body: Any,
    version: int | None,
) -> Order:
    if not isinstance(body, Mapping):
        raise IllegalArgument("a PATCH body must be a JSON object")
    # @type naming the base entity describes the document, not a wish to change the order type
    body = {k: v for k, v in body.items() if not (k == "@type" and v == tk.type_name) and k != "href"}
    if "state" in body:
        others = sorted(set(body) - META - _TRANSITION_KEYS)
        if others:
            raise IllegalArgument(f"a state change carries no other change (found {', '.join(others)})")
        state = parse_state(body["state"], "state")
        return await orders.change_order_state(caller, tk.kind, order_id, state, _reason(body, ""), version)
    item = _item_transition(tk, body)
    if item is not None:
        where = f"{tk.item_key}[0]."
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id:
            raise IllegalAttributeValue(f"{where}id", "is required")
        state = parse_state(item["state"], f"{where}state", item=True)
        return await orders.change_order_item_state(
            caller, tk.kind, order_id, item_id, state, _reason(item, where), version
        )
    check_body(tk, body, patch=True)
    with tmf_words(tk):
        return await orders.set_order(caller, tk.kind, order_id, order_value(tk, body, order_id), version)
