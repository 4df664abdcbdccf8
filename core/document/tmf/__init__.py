"""The official TM Forum v4 order APIs (Apache-2.0, see LICENSE): the information model.

The four OpenAPI files here define everything an order of each kind may
hold.  ``API`` names, per kind, the definitions and attribute names the
canonical document is built on: the gateway reasons about some attributes
(``typed`` in ``core.document.schema``) and keeps every other one as client
data under its TMF name.  The four APIs name the same things differently
(``productOrderItem`` vs ``orderItem``, ``productSpecification`` vs
``serviceSpecification``, a string priority vs an integer one, a list of
notes vs one note); every difference lives in this one table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

from core.domain.model import Kind


@dataclass(frozen=True)
class TmfApi:
    kind: Kind
    api: str  # TMF622 ...
    spec_file: str
    item_key: str  # productOrderItem / orderItem ...
    item_relationship_key: str
    item_relationship_def: str
    item_ref_nested: bool  # item relationships point through ``orderItem: {itemId}``
    order_relationship_key: str
    order_relationship_def: str | None  # None: the API has no order relationship (our extension)
    integer_priority: bool  # TMF652 types priority as an integer
    single_note: bool  # TMF697 has one note object, not a list

    @cached_property
    def type_name(self) -> str:
        return self.kind.base_type

    @cached_property
    def entity_key(self) -> str:
        return self.kind.entity

    @cached_property
    def specification_key(self) -> str:
        return f"{self.entity_key}Specification"

    @cached_property
    def characteristic_key(self) -> str:
        return f"{self.entity_key}Characteristic"

    @cached_property
    def item_def(self) -> str:
        return f"{self.type_name}Item"

    @cached_property
    def entity_def(self) -> str:
        return f"{self.entity_key[0].upper()}{self.entity_key[1:]}RefOrValue"

    @cached_property
    def specification_def(self) -> str:
        return f"{self.entity_key[0].upper()}{self.entity_key[1:]}SpecificationRef"

    def spec(self) -> dict[str, Any]:
        """The official file, parsed (shared: do not change it)."""
        return official(self.spec_file)

    @cached_property
    def definitions(self) -> dict[str, Any]:
        found: dict[str, Any] = self.spec()["definitions"]
        return found


@cache
def official(spec_file: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(spec_file).read_text(encoding="utf-8")
    spec: dict[str, Any] = json.loads(text)
    return spec


API: dict[Kind, TmfApi] = {
    Kind.PRODUCT: TmfApi(
        Kind.PRODUCT,
        "TMF622",
        "TMF622-ProductOrdering-v4.0.0.swagger.json",
        item_key="productOrderItem",
        item_relationship_key="productOrderItemRelationship",
        item_relationship_def="OrderItemRelationship",
        item_ref_nested=False,
        order_relationship_key="orderRelationship",
        order_relationship_def=None,
        integer_priority=False,
        single_note=False,
    ),
    Kind.SERVICE: TmfApi(
        Kind.SERVICE,
        "TMF641",
        "TMF641-ServiceOrdering-v4.1.0.swagger.json",
        item_key="serviceOrderItem",
        item_relationship_key="serviceOrderItemRelationship",
        item_relationship_def="ServiceOrderItemRelationship",
        item_ref_nested=True,
        order_relationship_key="orderRelationship",
        order_relationship_def="ServiceOrderRelationship",
        integer_priority=False,
        single_note=False,
    ),
    Kind.RESOURCE: TmfApi(
        Kind.RESOURCE,
        "TMF652",
        "TMF652-ResourceOrdering-v4.0.0.swagger.json",
        item_key="orderItem",
        item_relationship_key="orderItemRelationship",
        item_relationship_def="ResourceOrderItemRelationship",
        item_ref_nested=True,
        order_relationship_key="orderRelationship",
        order_relationship_def=None,
        integer_priority=True,
        single_note=False,
    ),
    Kind.WORK: TmfApi(
        Kind.WORK,
        "TMF697",
        "TMF697-WorkOrder-v4.0.0.swagger.json",
        item_key="workOrderItem",
        item_relationship_key="workOrderItemRelationship",
        item_relationship_def="OrderItemRelationship",
        item_ref_nested=False,
        order_relationship_key="workOrderRelationship",
        order_relationship_def="OrderRelationship",
        integer_priority=False,
        single_note=True,
    ),
}
