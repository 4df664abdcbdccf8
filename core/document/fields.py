"""Canonical attribute names of the order document, and how they group."""

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
    | set(DATE_FIELDS)
    | set(_TEXT_ATTR)
)
ITEM_FIELDS = frozenset(
    {"id", "action", "state", "stateReason", "quantity", "entity", "relationships"} | {"pointOfNoReturn"}
)

