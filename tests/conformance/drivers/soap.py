"""The SOAP driver: canonical operations through zeep, built from the gateway's served WSDL.

Every call is a typed zeep call on the real gateway over loopback HTTP, with
the actor's ``Authorization: Bearer`` key; a SOAP Fault is reported by the
error kind its ``<op>Exception`` detail carries.  Arguments and results are
translated by ``soap_values`` as a typed client would.  Events are those the
gateway's own outbox relay published (to a collecting publisher).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from zeep.exceptions import Fault

from tests.conformance.driver import Reply
from tests.conformance.drivers.soap_values import (
    Unrepresentable,
    chosen,
    document,
    key,
    order_value,
    ossj_state,
    value_list,
)
from tests.soap_gateway import SoapGateway

Args = dict[str, Any]
NS = "urn:ordergate:xml:om:v1"


def fault_kind(fault: Fault) -> str:
    """The core error kind of a fault: its detail's code, else Client/Server as a last resort."""
    if fault.detail is not None and len(fault.detail):
        code = fault.detail[0][0].find(f"{{{NS}}}code")
        if code is not None and code.text:
            return code.text
        return etree.QName(fault.detail[0][0]).localname.removesuffix("Exception")
    return "remote" if (fault.code or "").endswith("Server") else "illegalArgument"


def _keys(a: Args) -> dict[str, Any]:
    return {"keys": {"key": [key(a["kind"], i) for i in a["ids"]]}}


def _by_key(a: Args, *extra: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key(a["kind"], a["id"]), "version": a.get("version")}
    for name in extra:
        out[name] = a.get(name)
    return out


def _names(a: Args) -> dict[str, Any]:
    attributes = a.get("attributes")
    return {} if attributes is None else {"attributeNames": {"name": list(attributes)}}


def _values(a: Args) -> dict[str, Any]:
    return {"values": {"_value_1": [order_value(v, a["kind"]) for v in a["values"]]}}


def _filter(path: str, op: str, values: list[str]) -> dict[str, Any]:
    if path in ("state", "items.state"):
        values = [ossj_state(v) for v in values]
    return {"attribute": path, "operator": op, "value": list(values)}


def _query(a: Args) -> dict[str, Any]:
    query: dict[str, Any] = {"kind": a.get("kind")}
    if a.get("criteria"):
        query["filter"] = [_filter(*c) for c in a["criteria"]]
    query["sort"] = [{"attribute": s.lstrip("-"), "descending": s.startswith("-")} for s in a.get("sort", [])]
    return {"query": query, "offset": a.get("offset"), "howMany": a.get("limit"), **_names(a)}


def _outcomes(results: Any) -> list[dict[str, Any]]:
    out = []
    for r in results or []:
        entry: dict[str, Any] = {"index": r.index, "id": r.key.primaryKey if r.key else None}
        if r.exception is not None:
            detail = next(v for v in r.exception.__values__.values() if v is not None)
            entry["error"] = detail.code
        elif any(r[f"{k}OrderValue"] is not None for k in ("product", "service", "resource", "work")):
            entry["order"] = document(chosen(r))
        out.append(entry)
    return out


def _report(report: Any) -> dict[str, Any]:
    return {
        "feasible": report.feasible,
        "reasons": list(report.reason or []),
        "items": [
            {"itemId": i.itemId, "feasible": i.feasible, "reasons": list(i.reason or [])} for i in report.item
        ],
    }


def _history(entries: Any) -> list[dict[str, Any]]:
    def state(ossj: str | None) -> str | None:
        from core.domain.states import State

        return None if ossj is None else State.from_ossj(ossj).value

    return [
        {
            "fromState": state(e.fromState),
            "toState": state(e.toState),
            "itemId": e.itemId,
            "actor": e.actor,
            "reason": e.reason,
        }
        for e in entries or []
    ]


def _event_type(element: str) -> str:
    """orderStateChangeEvent -> OrderStateChange: the canonical name of an event element."""
    name = element.removesuffix("Event")
    return name[:1].upper() + name[1:]


Request = Callable[[Args], dict[str, Any]]
Result = Callable[[Any, Args], Any]
_ORDER: Result = lambda answer, a: document(chosen(answer))  # noqa: E731
_LIST: Result = lambda answer, a: list(answer or [])  # noqa: E731

OPERATIONS: dict[str, tuple[Request, Result]] = {
    "createOrderByValue": (lambda a: order_value(a["value"], a["kind"]), _ORDER),
    "createOrdersByValues": (_values, lambda answer, a: [document(chosen(e)) for e in value_list(answer)]),
    "tryCreateOrdersByValues": (_values, lambda answer, a: _outcomes(answer)),
    "checkOrderFeasibility": (
        lambda a: order_value(a["value"], a["kind"]),
        lambda answer, a: _report(answer),
    ),
    "getOrderByKey": (lambda a: {"key": key(a["kind"], a["id"]), **_names(a)}, _ORDER),
    "getOrdersByKeys": (
        lambda a: {**_keys(a), **_names(a)},
        lambda answer, a: [document(chosen(e)) for e in value_list(answer)],
    ),
    "queryOrders": (
        _query,
        lambda answer, a: {
            "orders": [document(chosen(e)) for e in value_list(answer["values"])],
            "total": answer["totalCount"],
        },
    ),
    "setOrderByValue": (
        lambda a: order_value(
            {**a["value"], **({"version": a["version"]} if "version" in a else {})}, a["kind"], a["id"]
        ),
        _ORDER,
    ),
    "trySetOrdersByValues": (
        lambda a: {
            "values": {
                "_value_1": [
                    order_value({k: x for k, x in v.items() if k != "id"}, a["kind"], v["id"])
                    for v in a["values"]
                ]
            }
        },
        lambda answer, a: _outcomes(answer),
    ),
    "startOrderByKey": (_by_key, _ORDER),
    "tryStartOrdersByKeys": (_keys, lambda answer, a: _outcomes(answer)),
    "suspendOrderByKey": (lambda a: _by_key(a, "reason"), _ORDER),
    "resumeOrderByKey": (_by_key, _ORDER),
    "abortOrderByKey": (lambda a: _by_key(a, "reason"), _ORDER),
    "tryAbortOrdersByKeys": (
        lambda a: {**_keys(a), "reason": a.get("reason")},
        lambda answer, a: _outcomes(answer),
    ),
    "removeOrderByKey": (_by_key, lambda answer, a: None),
    "tryRemoveOrdersByKeys": (_keys, lambda answer, a: _outcomes(answer)),
    "getOrderHistoryByKey": (lambda a: {"key": key(a["kind"], a["id"])}, lambda answer, a: _history(answer)),
    "changeOrderState": (
        lambda a: {**_by_key(a, "reason"), "state": ossj_state(a["state"])},
        _ORDER,
    ),
    "changeOrderItemState": (
        lambda a: {**_by_key(a, "reason"), "itemId": a["itemId"], "state": ossj_state(a["state"])},
        _ORDER,
    ),
    "getOrderTypes": (lambda a: {}, lambda answer, a: {t.kind: list(t.orderType) for t in answer or []}),
    "getSupportedOptionalOperations": (lambda a: {}, _LIST),
    "getQueryTypes": (lambda a: {}, _LIST),
    "getEventTypes": (lambda a: {}, lambda answer, a: [_event_type(e) for e in answer or []]),
    "makeOrderValue": (
        lambda a: {"kind": a["kind"], "orderType": a.get("orderType")},
        lambda answer, a: document(chosen(answer)),
    ),
}


class SoapDriver:
    name = "soap"
    event_timeout = 10.0

    def __init__(self, gateway: SoapGateway) -> None:
        self.gateway = gateway

    async def call(self, actor: str, operation: str, args: Args) -> Reply:
        request, result = OPERATIONS[operation]
        try:
            kwargs = request(args)
        except Unrepresentable as refused:
            return Reply(error=refused.kind)
        try:
            answer = await self.gateway.call(actor, operation, **kwargs)
        except Fault as fault:
            return Reply(error=fault_kind(fault))
        return Reply(result=result(answer, args))

    async def events(self, order_id: str) -> list[dict[str, Any]]:
        return [
            {
                "eventId": e.event_id,
                "type": e.type.value,
                "state": e.state,
                "previousState": e.previous_state,
                "itemChanges": [
                    {"itemId": c.item_id, "previousState": c.previous_state, "state": c.state}
                    for c in e.item_changes
                ],
            }
            for e in await self.gateway.settled_events()
            if e.order_id == order_id
        ]
