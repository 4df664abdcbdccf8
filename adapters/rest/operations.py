"""Which REST request carries each canonical operation (DESIGN §3).

Data for the cross-profile documentation; a test checks every entry against
the routes the profile actually serves, so it cannot drift from them.
``{base}`` is the kind's TMF base path, ``{kind}``/``{Kind}`` the resource
name (``serviceOrder`` / ``ServiceOrder``).
"""

from __future__ import annotations

BY_OPERATION: dict[str, tuple[str, str, str]] = {
    # operation: (method, path, how)
    "getOrderTypes": ("GET", "/tmf-api/ordergate/v1/metadata", "`orderTypes`"),
    "getSupportedOptionalOperations": ("GET", "/tmf-api/ordergate/v1/metadata", "`optionalOperations`"),
    "getQueryTypes": ("GET", "/tmf-api/ordergate/v1/metadata", "`queryTypes`"),
    "getEventTypes": ("GET", "/tmf-api/ordergate/v1/metadata", "`eventTypes`"),
    "makeOrderValue": ("GET", "/tmf-api/ordergate/v1/orderTemplate/{kind}", "`?orderType=` (extension)"),
    "checkOrderFeasibility": ("POST", "{base}/{kind}", "`?dryRun=true` → 200 report"),
    "createOrderByValue": ("POST", "{base}/{kind}", "201 + `Location`"),
    "createOrdersByValues": ("POST", "{base}/{kind}/bulk", "`?mode=atomic`"),
    "tryCreateOrdersByValues": ("POST", "{base}/{kind}/bulk", "`?mode=bestEffort`"),
    "getOrderByKey": ("GET", "{base}/{kind}/{id}", "`?fields=`"),
    "getOrdersByKeys": ("GET", "{base}/{kind}/bulk", "`?id=a&id=b`"),
    "queryOrders": ("GET", "{base}/{kind}", "filters, `fields`, `offset`, `limit`, `sort`"),
    "setOrderByValue": ("PATCH", "{base}/{kind}/{id}", "merge-patch; `If-Match` = version"),
    "trySetOrdersByValues": ("PATCH", "{base}/{kind}/bulk", "array of PATCH bodies with `id`"),
    "startOrderByKey": ("PATCH", "{base}/{kind}/{id}", '`{"state": "inProgress"}`'),
    "tryStartOrdersByKeys": ("PATCH", "{base}/{kind}/bulk", '`[{"id", "state": "inProgress"}]`'),
    "suspendOrderByKey": ("PATCH", "{base}/{kind}/{id}", '`{"state": "held"}`'),
    "resumeOrderByKey": ("PATCH", "{base}/{kind}/{id}", '`{"state": "inProgress"}`'),
    "abortOrderByKey": ("POST", "{base}/cancel{Kind}", "cancel task"),
    "tryAbortOrdersByKeys": ("POST", "{base}/cancel{Kind}/bulk", "one result per order"),
    "removeOrderByKey": ("DELETE", "{base}/{kind}/{id}", "204"),
    "tryRemoveOrdersByKeys": ("DELETE", "{base}/{kind}/bulk", "`?id=a&id=b`"),
    "getOrderHistoryByKey": ("GET", "{base}/{kind}/{id}/history", "extension"),
    "changeOrderState": ("PATCH", "{base}/{kind}/{id}", '`{"state": …}` by a fulfiller'),
    "changeOrderItemState": ("PATCH", "{base}/{kind}/{id}", '`{"<item list>": [{"id", "state"}]}`'),
    "addOrderMilestone": ("POST", "{base}/{kind}/{id}/milestone", "a milestone by a fulfiller (extension)"),
    "getProvisioningReport": (
        "GET",
        "/tmf-api/ordergate/v1/report/provisioning",
        "`?kind=&from=&to=`; JSON, or CSV with `Accept: text/csv` (extension)",
    ),
}

# Operations the REST profile does not carry, and why (none at present).
NOT_CARRIED: dict[str, str] = {}
