"""The decomposition catalog: what realizes what, declaratively.

For a product (matched by its product offering id, else its product
specification id) the catalog names the service parts that realize it; for
a service (matched by its specification id) the resource and work parts that
support it.  Each part says the specification its item is ordered with, how
characteristics carry over from the item it realizes (copied by name,
renamed with ``from``, or a constant ``value``), how the item's action maps
(``actions``; by default the same action; ``null``: no part for that
action), and which other parts of the same item it waits for (``dependsOn``).

The file (YAML or JSON, ``ORDERGATE_CATALOG``) is checked against
``catalog.schema.json`` and then here (parts named once, known dependencies,
no cycle, the right kind for the layer); ``CatalogError`` names the entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from core.domain.feasibility import cycle_members
from core.domain.model import ItemAction, Kind, OrderItem

# the layer below each kind, and the kinds its parts may be
_BELOW: dict[Kind, frozenset[Kind]] = {
    Kind.PRODUCT: frozenset({Kind.SERVICE}),
    Kind.SERVICE: frozenset({Kind.RESOURCE, Kind.WORK}),
}


class CatalogError(ValueError):
    """The catalog cannot be used: the message names the entry."""


@dataclass(frozen=True)
class CarriedCharacteristic:
    name: str  # on the part's item
    source: str | None = None  # the realized item's characteristic it is copied from (None: a constant)
    value: Any = None

    def from_item(self, values: Mapping[str, Any]) -> tuple[bool, Any]:
        """(whether the part's item gets it, its value) for the realized item's characteristics."""
        if self.source is None:
            return True, self.value
        return (self.source in values), values.get(self.source)


@dataclass(frozen=True)
class Part:
    name: str
    kind: Kind
    specification: Mapping[str, Any]
    characteristics: tuple[CarriedCharacteristic, ...] = ()
    actions: Mapping[str, str | None] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()

    def action_for(self, action: ItemAction) -> ItemAction | None:
        """The action of the part's item for the realized item's action (None: no part for it)."""
        mapped = self.actions.get(action.value, action.value)
        return None if mapped is None else ItemAction(mapped)


@dataclass(frozen=True)
class Entry:
    """What realizes one product offering / specification, or one service specification."""

    kind: Kind
    key: str
    parts: tuple[Part, ...]

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)


@dataclass(frozen=True)
class Catalog:
    products: Mapping[str, Entry] = field(default_factory=dict)
    services: Mapping[str, Entry] = field(default_factory=dict)
    document: Mapping[str, Any] = field(default_factory=dict)  # as read, for GET .../catalog

    @property
    def empty(self) -> bool:
        return not (self.products or self.services)

    def entry_for(self, kind: Kind, item: OrderItem) -> Entry | None:
        """The entry realizing an item of an order of ``kind``, if the catalog knows it."""
        spec = item.entity.specification
        spec_id = spec.id if spec is not None else None
        if kind is Kind.PRODUCT:
            offering = item.data.get("productOffering")
            offering_id = offering.get("id") if isinstance(offering, Mapping) else None
            for key in (offering_id, spec_id):
                if key is not None and key in self.products:
                    return self.products[key]
            return None
        if kind is Kind.SERVICE and spec_id is not None:
            return self.services.get(spec_id)
        return None


@cache
def schema() -> dict[str, Any]:
    text = resources.files("core.domain").joinpath("catalog.schema.json").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def load(document: Mapping[str, Any]) -> Catalog:
    """The catalog of a parsed YAML/JSON document; ``CatalogError`` names what is wrong."""
    validator = jsonschema_rs.Draft7Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.instance_path])
    if errors:
        where = "/".join(str(p) for p in errors[0].instance_path) or "(the document)"
        raise CatalogError(f"catalog entry {where}: {errors[0].message}")
    products = _entries(Kind.PRODUCT, document.get("products", ()), "products")
    services = _entries(Kind.SERVICE, document.get("services", ()), "services")
    return Catalog(products, services, dict(document))


def _entries(kind: Kind, raw: Sequence[Mapping[str, Any]], where: str) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for i, entry in enumerate(raw):
        at = f"{where}[{i}] ({entry['id']})"
        if entry["id"] in out:
            raise CatalogError(f"catalog entry {at}: {entry['id']!r} is listed twice")
        parts = tuple(_part(p, f"{at}.realizedBy[{j}]") for j, p in enumerate(entry["realizedBy"]))
        _check_parts(kind, parts, at)
        out[entry["id"]] = Entry(kind, entry["id"], parts)
    return out


def _part(raw: Mapping[str, Any], at: str) -> Part:
    carried = []
    for c in raw.get("characteristics", ()):
        if "value" in c and "from" in c:
            raise CatalogError(f"catalog entry {at}: characteristic {c['name']!r} has both from and value")
        source = None if "value" in c else c.get("from", c["name"])
        carried.append(CarriedCharacteristic(c["name"], source, c.get("value")))
    return Part(
        raw["part"],
        Kind(raw["kind"]),
        dict(raw["specification"]),
        tuple(carried),
        dict(raw.get("actions", {})),
        tuple(raw.get("dependsOn", ())),
    )


def _check_parts(kind: Kind, parts: tuple[Part, ...], at: str) -> None:
    names = [p.name for p in parts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CatalogError(f"catalog entry {at}: part(s) {', '.join(twice)} named twice")
    for part in parts:
        if part.kind not in _BELOW[kind]:
            allowed = " or ".join(sorted(k.value for k in _BELOW[kind]))
            raise CatalogError(f"catalog entry {at}: part {part.name!r} is a {part.kind.value}; a {kind.value} is"
                               f" realized by {allowed} parts")
        unknown = sorted(set(part.depends_on) - set(names))
        if unknown:
            raise CatalogError(f"catalog entry {at}: part {part.name!r} depends on unknown part(s) {', '.join(unknown)}")
    cyclic = cycle_members({p.name: list(p.depends_on) for p in parts})
    if cyclic:
        raise CatalogError(f"catalog entry {at}: parts {', '.join(sorted(cyclic))} depend on each other in a cycle")
