"""Canonical attribute names of the order document, level by level, and how they group.

Each object of the document (the order, an item, the entity an item acts
on, a specification, a characteristic, a party, a note, a relationship) has
*typed* attributes, which the core reasons about, under the canonical names
below.  Every other attribute of the object is *client data*: an attribute
the official TMF schema of the order's kind defines, kept under its TMF name
and given back unchanged (see ``core.document.schema``).
"""

from __future__ import annotations

DATE_FIELDS = (
    "orderDate",
    "requestedStartDate",
    "requestedCompletionDate",
    "expectedCompletionDate",
    "startDate",
    "completionDate",
    "cancellationDate",
)
_DATE_ATTR = {
    "orderDate": "order_date",
    "requestedStartDate": "requested_start_date",
    "requestedCompletionDate": "requested_completion_date",
    "expectedCompletionDate": "expected_completion_date",
    "startDate": "start_date",
    "completionDate": "completion_date",
    "cancellationDate": "cancellation_date",
}
_TEXT_ATTR = {
    "externalId": "external_id",
    "description": "description",
    "category": "category",
    "stateReason": "state_reason",
    "cancellationReason": "cancellation_reason",
}
ORDER_FIELDS = frozenset(
    {"id", "kind", "clientId", "orderType", "state", "version", "priority", "items", "notes"}
    | {"relatedParties", "relationships", "history", "stateBeforeCancellation"}
    | {"parent", "milestones", "jeopardyAlerts"}
    | set(DATE_FIELDS)
    | set(_TEXT_ATTR)
)
ITEM_FIELDS = frozenset(
    {"id", "action", "state", "stateReason", "quantity", "entity", "relationships", "pointOfNoReturn"}
    | {"items", "children"}
)
ENTITY_FIELDS = frozenset({"id", "specification", "characteristics"})
SPECIFICATION_FIELDS = frozenset({"id", "name"})
CHARACTERISTIC_FIELDS = frozenset({"name", "value"})
PARTY_FIELDS = frozenset({"id", "role", "name"})
NOTE_FIELDS = frozenset({"text", "author", "date"})
ORDER_RELATIONSHIP_FIELDS = frozenset({"type", "orderId"})
ITEM_RELATIONSHIP_FIELDS = frozenset({"type", "itemId"})

# What the server keeps: never written by a client's value.  (The lifecycle
# records in LIFECYCLE_FIELDS are taken at create where the kind's TMF create
# schema offers them, as the client's own account, until the lifecycle writes them.)
SERVER_FIELDS = frozenset(
    {"kind", "clientId", "state", "stateReason", "version", "orderDate", "completionDate"}
    | {"history", "stateBeforeCancellation", "parent", "milestones", "jeopardyAlerts"}
)
LIFECYCLE_FIELDS = frozenset({"startDate", "cancellationDate", "cancellationReason"})

# The order's content: what is ordered, for whom, when.  It may change only while the
# order is acknowledged, pending or held.  Client data at order level is content too,
# except the annotations in ANNOTATION_DATA.
CONTENT_FIELDS = frozenset(
    {"items", "requestedStartDate", "requestedCompletionDate", "relatedParties", "priority"}
    | {"category", "relationships"}
)
# Annotations describe the order without changing what is ordered: they may change while it is open.
ANNOTATION_FIELDS = frozenset({"notes", "description", "externalId"})
ANNOTATION_DATA = frozenset(
    {"name", "notificationContact", "externalReference", "workOrderVersion", "@baseType", "@schemaLocation"}
)
# What the fulfiller owns: it sets these, nobody else (items' pointOfNoReturn too).
FULFILLER_FIELDS = frozenset({"expectedCompletionDate"})
