"""The TMF words for each order kind: base paths, resource and attribute names.

The four TMF APIs name the same things differently (``productOrderItem`` vs
``orderItem``, ``productSpecification`` vs ``serviceSpecification``, a string
priority vs an integer one, a list of notes vs a single note).  Every
difference lives in this one table, so the mapping code is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from core.domain.events import EventType
from core.domain.model import Kind

_EVENT_SUFFIX = {
    EventType.CREATED: "CreateEvent",
    EventType.STATE_CHANGED: "StateChangeEvent",
    EventType.ATTRIBUTES_CHANGED: "AttributeValueChangeEvent",
    EventType.REMOVED: "DeleteEvent",
    EventType.INFORMATION_REQUIRED: "InformationRequiredEvent",
}


@dataclass(frozen=True)
class TmfKind:
    """One TMF API's vocabulary (derived names are computed once: they are used on every request)."""

    kind: Kind
    api: str  # TMF622 ...
    spec_file: str
    base_path: str
    item_key: str  # productOrderItem / orderItem ...
    item_relationship_key: str
    item_ref_nested: bool  # item relationships point through ``orderItem: {itemId}``
    order_relationship_key: str
    integer_priority: bool  # TMF652 types priority as an integer
    single_note: bool  # TMF697 has one note object, not a list
    task_received_state: str  # TMF622 says acknowledged, the others accepted

    @cached_property
    def resource(self) -> str:
        return self.kind.value

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
    def cancel_resource(self) -> str:
        return f"cancel{self.type_name}"

    @cached_property
    def cancel_type(self) -> str:
        return f"Cancel{self.type_name}"

    @cached_property
    def collection_path(self) -> str:
        return f"{self.base_path}/{self.resource}"

    def event_name(self, event_type: EventType) -> str:
        return self.type_name + _EVENT_SUFFIX[event_type]

    @cached_property
    def event_names(self) -> dict[str, EventType]:
        return {self.event_name(t): t for t in EventType}


KINDS: dict[Kind, TmfKind] = {
    Kind.PRODUCT: TmfKind(
        Kind.PRODUCT,
        "TMF622",
        "TMF622-ProductOrdering-v4.0.0.swagger.json",
        "/tmf-api/productOrderingManagement/v4",
        item_key="productOrderItem",
        item_relationship_key="productOrderItemRelationship",
        item_ref_nested=False,
        order_relationship_key="orderRelationship",
        integer_priority=False,
        single_note=False,
        task_received_state="acknowledged",
    ),
    Kind.SERVICE: TmfKind(
        Kind.SERVICE,
        "TMF641",
        "TMF641-ServiceOrdering-v4.1.0.swagger.json",
        "/tmf-api/serviceOrdering/v4",
        item_key="serviceOrderItem",
        item_relationship_key="serviceOrderItemRelationship",
        item_ref_nested=True,
        order_relationship_key="orderRelationship",
        integer_priority=False,
        single_note=False,
        task_received_state="accepted",
    ),
    Kind.RESOURCE: TmfKind(
        Kind.RESOURCE,
        "TMF652",
        "TMF652-ResourceOrdering-v4.0.0.swagger.json",
        "/tmf-api/resourceOrdering/v4",
        item_key="orderItem",
        item_relationship_key="orderItemRelationship",
        item_ref_nested=True,
        order_relationship_key="orderRelationship",
        integer_priority=True,
        single_note=False,
        task_received_state="accepted",
    ),
    Kind.WORK: TmfKind(
        Kind.WORK,
        "TMF697",
        "TMF697-WorkOrder-v4.0.0.swagger.json",
        "/tmf-api/workOrderManagement/v4",
        item_key="workOrderItem",
        item_relationship_key="workOrderItemRelationship",
        item_ref_nested=False,
        order_relationship_key="workOrderRelationship",
        integer_priority=False,
        single_note=True,
        task_received_state="accepted",
    ),
}

# Attributes that describe the JSON document rather than the order: accepted
# anywhere on input and not stored.
META = frozenset({"href", "@baseType", "@schemaLocation", "@referredType"})
