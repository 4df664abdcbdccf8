"""The official TM Forum v4 order samples (``samples/``), as a client creates them.

A sample shows a whole order as a server holds it.  A client creates it with
what its API's ``*_Create`` definition offers, and without what that
definition's own "Skipped properties" note leaves out (TMF622 skips
``productOrderItem.state``, every API skips ``id``, ``state``, ``orderDate``
...): ``create_body`` is that reduction, ``canonical`` the canonical order
value it is (the REST profile's renaming only: nothing is checked there).
``TMF697-WorkOrder`` is this project's own sample, since TM Forum publishes
none for work orders: it uses every attribute ``WorkOrder_Create`` offers.
The cancel samples are reduced the same way (``cancel_body``).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from adapters.rest.parsing import order_value
from adapters.rest.vocabulary import KINDS, TmfKind
from core.document.tmf import API
from core.domain.model import Kind

SAMPLES = Path(__file__).with_name("samples")
ORDERS = ("TMF622-ProductOrder", "TMF641-ServiceOrder", "TMF652-ResourceOrder", "TMF697-WorkOrder")
_KIND_OF_API = {api.api: kind for kind, api in API.items()}


def kind_of(name: str) -> Kind:
    """The order kind a sample is of, by its API (``TMF641-ServiceOrder`` -> serviceOrder)."""
    return _KIND_OF_API[name.split("-", 1)[0]]


def tmf_kind(name: str) -> TmfKind:
    return KINDS[kind_of(name)]


@cache
def _raw(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((SAMPLES / f"{name}.example.json").read_text(encoding="utf-8"))
    return sample


def raw(name: str) -> dict[str, Any]:
    """The sample as published (a copy)."""
    return copy.deepcopy(_raw(name))


def skipped(tk: TmfKind) -> list[list[str]]:
    """The attribute paths the order create definition's "Skipped properties" note names."""
    return _skipped_in(tk.definitions[f"{tk.type_name}_Create"])


def _skipped_in(definition: dict[str, Any]) -> list[list[str]]:
    _, _, listed = definition.get("description", "").partition("Skipped properties:")
    return [p.strip().split(".") for p in listed.split(",") if p.strip()]


def _drop(node: Any, path: list[str], item_key: str) -> None:
    """Remove ``path`` below ``node``; an item path applies to nested items too (they are items)."""
    if isinstance(node, list):
        for entry in node:
            _drop(entry, path, item_key)
        return
    if not isinstance(node, dict):
        return
    head, *rest = path
    if not rest:
        node.pop(head, None)
        return
    if head in node:
        _drop(node[head], rest, item_key)
        if head == item_key:
            _drop(node[head], [item_key, *rest], item_key)


def create_body(name: str) -> dict[str, Any]:
    """The sample reduced to what its API's create definition allows."""
    tk = tmf_kind(name)
    offered = tk.definitions[f"{tk.type_name}_Create"]["properties"]
    body = {k: v for k, v in raw(name).items() if k in offered}
    for path in skipped(tk):
        _drop(body, path, tk.item_key)
    return body


def canonical(name: str) -> dict[str, Any]:
    """The canonical order value of the sample's create body."""
    return order_value(tmf_kind(name), create_body(name))


CANCELS = ("TMF622-CancelProductOrder", "TMF641-CancelServiceOrder", "TMF652-CancelResourceOrder")


def cancel_body(name: str, order: dict[str, Any]) -> dict[str, Any]:
    """A cancel sample reduced to what its create definition allows, aimed at ``order`` (a TMF order
    as the gateway rendered it: its id and href replace the sample's)."""
    tk = tmf_kind(name)
    definition = tk.definitions[f"{tk.cancel_type}_Create"]
    body = {k: v for k, v in raw(name).items() if k in definition["properties"]}
    for path in _skipped_in(definition):
        _drop(body, path, tk.item_key)
    body[tk.resource] = {**body[tk.resource], "id": order["id"], "href": order["href"]}
    return body
