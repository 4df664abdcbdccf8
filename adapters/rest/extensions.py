"""The OpenAPI description of our extensions to the TMF APIs (see docs/rest.md)."""

from __future__ import annotations

from typing import Any

from adapters.rest.vocabulary import TmfKind

DESCRIPTION = (
    "Ordergate: TMF622 / TMF641 / TMF652 / TMF697 v4 over one order-lifecycle core, "
    "plus extensions: dryRun feasibility, order history, bulk operations, hub inspection, "
    "gateway metadata, the provisioning report. TMF definitions are namespaced by API (TMF622_ProductOrder ...)."
)
FILTER_NOTE = (
    " TMF630 filtering: any attribute path (e.g. state=inProgress,held; productOrderItem.state=completed), "
    "operators .gt .gte .lt .lte .eq .ne, sort=-orderDate, fields=..., offset, limit. "
    "Unknown attributes are refused with 400."
)
DRY_RUN = {
    "name": "dryRun",
    "in": "query",
    "type": "boolean",
    "required": False,
    "description": "true: check feasibility only; nothing is stored; 200 with a feasibility report",
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "type": "string",
    "required": False,
    "description": "the ETag (order version) the change is based on; 412 when the order moved on",
}
_ID = {"name": "id", "in": "path", "required": True, "type": "string"}
_IDS = {"name": "id", "in": "query", "required": False, "type": "array", "items": {"type": "string"}}
_IDS["collectionFormat"] = "multi"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _array(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


def _errors(tk: TmfKind, *statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "Error", "schema": _ref(f"{tk.api}_Error")} for s in statuses}


def _op(op_id: str, summary: str, responses: dict[str, Any], *params: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": ["ordergate extensions"],
        "parameters": list(params),
        "responses": responses,
    }


def _body(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "body", "required": True, "schema": schema}


def _bulk_paths(tk: TmfKind) -> dict[str, dict[str, Any]]:
    t = tk.type_name
    order, results = _ref(f"{tk.api}_{t}"), _array(_ref("Ordergate_BulkResult"))
    mode = {
        "name": "mode",
        "in": "query",
        "type": "string",
        "enum": ["atomic", "bestEffort"],
        "default": "atomic",
    }
    fields = {"name": "fields", "in": "query", "type": "string", "required": False}
    create = _op(
        f"bulkCreate{t}",
        "Create several orders: atomic (all or none, 201) or bestEffort (one result each, 200)",
        {
            "201": {"description": "All created (atomic)", "schema": _array(order)},
            "200": {"description": "One result per input (bestEffort)", "schema": results},
        }
        | _errors(tk, 400, 401, 409, 413, 415),
        mode,
        _body("orders", _array(_ref(f"{tk.api}_{t}_Create"))),
    )
    patch = _op(
        f"bulkPatch{t}",
        "Best effort: each element is one PATCH of the order its id names",
        {"200": {"description": "One result per input", "schema": results}} | _errors(tk, 400, 401, 413, 415),
        _body("patches", _array(_ref(f"{tk.api}_{t}_Update"))),
    )
    delete = _op(
        f"bulkDelete{t}",
        "Best effort: remove each order named by an id parameter",
        {"200": {"description": "One result per id", "schema": results}} | _errors(tk, 400, 401),
        _IDS,
    )
    get = _op(
        f"bulkRetrieve{t}",
        "The orders named by the id parameters, in that order; 404 if one is unknown",
        {"200": {"description": "Orders", "schema": _array(order)}} | _errors(tk, 400, 401, 404),
        _IDS,
        fields,
    )
    cancel = _op(
        f"bulkCancel{t}",
        "Best effort: one cancel task per element",
        {"200": {"description": "One result per input", "schema": results}} | _errors(tk, 400, 401, 413, 415),
        _body("cancellations", _array(_ref(f"{tk.api}_{tk.cancel_type}_Create"))),
    )
    return {
        f"{tk.collection_path}/bulk": {"post": create, "patch": patch, "delete": delete, "get": get},
        f"{tk.base_path}/{tk.cancel_resource}/bulk": {"post": cancel},
    }


def kind_paths(tk: TmfKind) -> dict[str, dict[str, Any]]:
    t = tk.type_name
    history = _op(
        f"history{t}",
        "State changes of the order and its items, oldest first",
        {"200": {"description": "History", "schema": _array(_ref("Ordergate_HistoryEntry"))}}
        | _errors(tk, 400, 401, 404),
        _ID,
    )
    milestone = _op(
        f"addMilestone{t}",
        "A fulfiller reports a milestone of the work (TMF641 v4.1 ServiceOrderMilestone, every kind);"
        " the answer is the order with it in its milestone list",
        {"201": {"description": "The order", "schema": _ref(f"{tk.api}_{t}")}}
        | _errors(tk, 400, 401, 403, 404, 409, 412, 413, 415),
        _ID,
        _body("milestone", _ref("Ordergate_Milestone")),
    )
    milestone["parameters"].append(IF_MATCH)
    listeners = _op(
        f"listListener{t}",
        "The caller's subscriptions",
        {"200": {"description": "Subscriptions", "schema": _array(_ref(f"{tk.api}_EventSubscription"))}}
        | _errors(tk, 401),
    )
    listener = _op(
        f"retrieveListener{t}",
        "One subscription with its delivery counts and the deliveries given up",
        {"200": {"description": "Subscription", "schema": _ref("Ordergate_HubSubscriptionStatus")}}
        | _errors(tk, 401, 404),
        _ID,
    )
    return {
        f"{tk.collection_path}/{{id}}/history": {"get": history},
        f"{tk.collection_path}/{{id}}/milestone": {"post": milestone},
        f"{tk.base_path}/hub": {"get": listeners},
        f"{tk.base_path}/hub/{{id}}": {"get": listener},
    } | _bulk_paths(tk)


def _report_operation(error: dict[str, Any]) -> dict[str, Any]:
    kind = {"name": "kind", "in": "query", "required": False, "type": "string"}
    kind["enum"] = ["productOrder", "serviceOrder", "resourceOrder", "workOrder"]
    kind["description"] = "one order kind (default: every kind)"
    window = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "type": "string",
            "format": "date-time",
            "description": what,
        }
        for name, what in (
            ("from", "orders with an orderDate at or after this (default: 30 days before to)"),
            ("to", "orders with an orderDate before this (default: now)"),
        )
    ]
    csv_note = (
        " With Accept: text/csv, CSV: a header line, then one row per kind, specification and (resource"
        " orders) specification and action, the level named in the first column."
    )
    op = _op(
        "provisioningReport",
        "Ordered, completed, failed, cancelled, open and in-jeopardy orders and their lead times, "
        "per kind, specification and (resource orders) item action, for a window of order dates",
        {
            "200": {"description": "The report" + csv_note, "schema": _ref("Ordergate_ProvisioningReport")},
            "400": error,
            "401": error,
        },
        kind,
        *window,
    )
    op["produces"] = ["application/json;charset=utf-8", "text/csv;charset=utf-8"]
    return op


def gateway_paths() -> dict[str, dict[str, Any]]:
    error = {"description": "Error", "schema": _ref("Ordergate_Error")}
    kind = {"name": "kind", "in": "path", "required": True, "type": "string"}
    kind["enum"] = ["productOrder", "serviceOrder", "resourceOrder", "workOrder"]
    order_type = {"name": "orderType", "in": "query", "required": False, "type": "string"}
    return {
        "/tmf-api/ordergate/v1/metadata": {
            "get": _op(
                "gatewayMetadata",
                "Order types, optional operations, query types and event types",
                {"200": {"description": "Metadata", "schema": _ref("Ordergate_Metadata")}, "401": error},
            )
        },
        "/tmf-api/ordergate/v1/orderTemplate/{kind}": {
            "get": _op(
                "orderTemplate",
                "An empty order value of a kind and order type (makeOrderValue)",
                {
                    "200": {"description": "Template", "schema": {"type": "object"}},
                    "400": error,
                    "401": error,
                },
                kind,
                order_type,
            )
        },
        "/tmf-api/ordergate/v1/report/provisioning": {"get": _report_operation(error)},
        "/tmf-api/ordergate/v1/catalog": {
            "get": _op(
                "decompositionCatalog",
                "The decomposition catalog the gateway runs with, as it was read (docs/fulfilment.md);"
                " without one, empty lists",
                {"200": {"description": "Catalog", "schema": _ref("Ordergate_Catalog")}, "401": error},
            )
        },
        "/openapi.json": {
            "get": _op(
                "openapi",
                "This document",
                {"200": {"description": "Swagger 2.0", "schema": {"type": "object"}}},
            )
            | {"security": []}
        },
    }


_STRINGS = {"type": "array", "items": {"type": "string"}}


def _with_figures(properties: dict[str, Any]) -> dict[str, Any]:
    """A level of the provisioning report: its own properties beside the figures."""
    return {"allOf": [_ref("Ordergate_ProvisioningFigures"), {"type": "object", "properties": properties}]}


DEFINITIONS: dict[str, Any] = {
    "Ordergate_Error": {
        "type": "object",
        "required": ["code", "reason"],
        "properties": {k: {"type": "string"} for k in ("code", "reason", "message", "status", "@type")},
    },
    "Ordergate_FeasibilityReport": {
        "type": "object",
        "description": "Per-item feasibility; the item list is under the kind's item key (productOrderItem ...)",
        "properties": {"feasible": {"type": "boolean"}, "reasons": _STRINGS, "@type": {"type": "string"}},
    },
    "Ordergate_HistoryEntry": {
        "type": "object",
        "properties": {
            "date": {"type": "string", "format": "date-time"},
            **{
                k: {"type": "string"}
                for k in ("actor", "operation", "fromState", "toState", "reason", "itemId")
            },
        },
    },
    "Ordergate_Milestone": {
        "type": "object",
        "description": "A step of the work (TMF641 v4.1 ServiceOrderMilestone); id: made by the gateway"
        " when not given",
        "required": ["name"],
        "properties": {
            **{k: {"type": "string"} for k in ("id", "name", "status", "description", "message")},
            "milestoneDate": {"type": "string", "format": "date-time"},
            **{k: {"type": "string"} for k in ("@type", "@baseType", "@schemaLocation")},
        },
    },
    "Ordergate_Catalog": {
        "type": "object",
        "description": "core/domain/catalog.schema.json: products realized by service parts, services by"
        " resource and work parts",
        "required": ["version"],
        "properties": {
            "version": {"type": "integer"},
            "products": _array({"type": "object"}),
            "services": _array({"type": "object"}),
        },
    },
    "Ordergate_BulkResult": {
        "type": "object",
        "description": "One element's outcome: status as the single request would answer, and the order or the error",
        "properties": {
            "index": {"type": "integer"},
            "id": {"type": "string"},
            "status": {"type": "integer"},
            "error": _ref("Ordergate_Error"),
        },
    },
    "Ordergate_Metadata": {
        "type": "object",
        "properties": {
            "orderTypes": {"type": "object", "additionalProperties": _STRINGS},
            "optionalOperations": _STRINGS,
            "queryTypes": _STRINGS,
            "eventTypes": _STRINGS,
            "tmfEventTypes": {"type": "object", "additionalProperties": _STRINGS},
        },
    },
    "Ordergate_ProvisioningFigures": {
        "type": "object",
        "description": "Orders ordered in the window and, of them, completed (partial included), failed "
        "(rejected included), cancelled, open, and open past their expected (else requested) completion date; "
        "leadTime: seconds from orderDate to completionDate of the completed ones (null: none completed)",
        "properties": {
            **{
                k: {"type": "integer"}
                for k in ("ordered", "completed", "failed", "cancelled", "open", "inJeopardy")
            },
            "leadTime": {
                "type": "object",
                "x-nullable": True,
                "properties": {k: {"type": "number"} for k in ("median", "p90", "max")},
            },
        },
    },
    "Ordergate_ProvisioningActionReport": _with_figures({"action": {"type": "string"}}),
    "Ordergate_ProvisioningSpecificationReport": _with_figures(
        {
            "specification": {"type": "string", "x-nullable": True, "description": "null: items naming none"},
            "actions": _array(_ref("Ordergate_ProvisioningActionReport")),
        }
    ),
    "Ordergate_ProvisioningKindReport": _with_figures(
        {
            "kind": {"type": "string"},
            "specifications": _array(_ref("Ordergate_ProvisioningSpecificationReport")),
        }
    ),
    "Ordergate_ProvisioningReport": {
        "type": "object",
        "properties": {
            "from": {"type": "string", "format": "date-time"},
            "to": {"type": "string", "format": "date-time"},
            "generatedAt": {"type": "string", "format": "date-time"},
            "kinds": _array(_ref("Ordergate_ProvisioningKindReport")),
            "@type": {"type": "string"},
        },
    },
    "Ordergate_HubSubscriptionStatus": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "callback": {"type": "string"},
            "query": {"type": "string"},
            "deliveries": {"type": "object", "additionalProperties": {"type": "integer"}},
            "failedDeliveries": _array(
                {
                    "type": "object",
                    "properties": {
                        "eventId": {"type": "string"},
                        "orderId": {"type": "string"},
                        "attempts": {"type": "integer"},
                        "lastError": {"type": "string"},
                    },
                }
            ),
        },
    },
}
