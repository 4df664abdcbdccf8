"""The TMF words for each order kind: base paths, resource and attribute names.

The information model's names per kind (``productOrderItem`` vs ``orderItem``,
a string priority vs an integer one ...) are ``core.document.tmf``'s; this
table adds what only the REST profile has: base paths, resources, events.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

from core.document.tmf import API, TmfApi
from core.domain.events import EventType
from core.domain.model import Kind

_EVENT_SUFFIX = {
    EventType.CREATED: "CreateEvent",
    EventType.STATE_CHANGED: "StateChangeEvent",
    EventType.ATTRIBUTES_CHANGED: "AttributeValueChangeEvent",
    EventType.REMOVED: "DeleteEvent",
    EventType.INFORMATION_REQUIRED: "InformationRequiredEvent",
    EventType.MILESTONE: "MilestoneEvent",  # TMF641 v4.1's; the same name for every kind
    EventType.JEOPARDY: "JeopardyEvent",
    EventType.CANCEL_CREATED: "CreateEvent",  # of the cancel task: Cancel<Type>CreateEvent
    EventType.CANCEL_STATE_CHANGED: "StateChangeEvent",
}
_CANCEL_EVENTS = frozenset({EventType.CANCEL_CREATED, EventType.CANCEL_STATE_CHANGED})


@dataclass(frozen=True)
class TmfKind(TmfApi):
    """One TMF API's vocabulary: the information model's names (``core.document.tmf``) and the REST
    profile's own (base path, resources).  Derived names are computed once: every request uses them."""

    base_path: str
    task_received_state: str  # TMF622 says acknowledged, the others accepted

    @cached_property
    def resource(self) -> str:
        return self.kind.value

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
        prefix = self.cancel_type if event_type in _CANCEL_EVENTS else self.type_name
        return prefix + _EVENT_SUFFIX[event_type]

    @cached_property
    def event_names(self) -> dict[str, EventType]:
        return {self.event_name(t): t for t in EventType}


def _kind(kind: Kind, base_path: str, task_received_state: str) -> TmfKind:
    api = API[kind]
    names = {f.name: getattr(api, f.name) for f in fields(TmfApi)}
    return TmfKind(**names, base_path=base_path, task_received_state=task_received_state)


KINDS: dict[Kind, TmfKind] = {
    Kind.PRODUCT: _kind(Kind.PRODUCT, "/tmf-api/productOrderingManagement/v4", "acknowledged"),
    Kind.SERVICE: _kind(Kind.SERVICE, "/tmf-api/serviceOrdering/v4", "accepted"),
    Kind.RESOURCE: _kind(Kind.RESOURCE, "/tmf-api/resourceOrdering/v4", "accepted"),
    Kind.WORK: _kind(Kind.WORK, "/tmf-api/workOrderManagement/v4", "accepted"),
}

# Attributes that describe the JSON document rather than the order: accepted
# anywhere on input and not stored.
META = frozenset({"href", "@baseType", "@schemaLocation", "@referredType"})
