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

from tests.conformance.driver import Reply, jeopardy_round
from tests.conformance.drivers.soap_values import (
    Unrepresentable,
    ZeepValues,
    key,
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


def _values(v: ZeepValues, a: Args) -> dict[str, Any]:
    return {"values": {"_value_1": [v.order_value(value, a["kind"]) for value in a["values"]]}}


def _try_set(v: ZeepValues, a: Args) -> dict[str, Any]:
    """Each value changes the order its own ``id`` names."""
    values = [
        v.order_value({k: x for k, x in value.items() if k != "id"}, a["kind"], value["id"])
        for value in a["values"]
    ]
    return {"values": {"_value_1": values}}


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


def _outcomes(v: ZeepValues, results: Any) -> list[dict[str, Any]]:
    out = []
    for r in results or []:
        entry: dict[str, Any] = {"index": r.index, "id": r.key.primaryKey if r.key else None}
        if r.exception is not None:
            detail = next(v for v in r.exception.__values__.values() if v is not None)
            entry["error"] = detail.code
        elif any(r[name] is not None for name in v.value_types):
            entry["order"] = v.document(v.chosen(r))
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


Request = Callable[[ZeepValues, Args], dict[str, Any]]
Result = Callable[[ZeepValues, Any, Args], Any]
_ORDER: Result = lambda v, answer, a: v.document(v.chosen(answer))  # noqa: E731
_LIST: Result = lambda v, answer, a: list(answer or [])  # noqa: E731

OPERATIONS: dict[str, tuple[Request, Result]] = {
    "createOrderByValue": (lambda v, a: v.order_value(a["value"], a["kind"]), _ORDER),
    "createOrdersByValues": (
        _values,
        lambda v, answer, a: [v.document(v.chosen(e)) for e in value_list(answer)],
    ),
    "tryCreateOrdersByValues": (_values, lambda v, answer, a: _outcomes(v, answer)),
    "checkOrderFeasibility": (
        lambda v, a: v.order_value(a["value"], a["kind"]),
        lambda v, answer, a: _report(answer),
    ),
    "getOrderByKey": (lambda v, a: {"key": key(a["kind"], a["id"]), **_names(a)}, _ORDER),
    "getOrdersByKeys": (
        lambda v, a: {**_keys(a), **_names(a)},
        lambda v, answer, a: [v.document(v.chosen(e)) for e in value_list(answer)],
    ),
    "queryOrders": (
        lambda v, a: _query(a),
        lambda v, answer, a: {
            "orders": [v.document(v.chosen(e)) for e in value_list(answer["values"])],
            "total": answer["totalCount"],
        },
    ),
    "setOrderByValue": (
        lambda v, a: v.order_value(
            {**a["value"], **({"version": a["version"]} if "version" in a else {})}, a["kind"], a["id"]
        ),
        _ORDER,
    ),
    "trySetOrdersByValues": (_try_set, lambda v, answer, a: _outcomes(v, answer)),
    "startOrderByKey": (lambda v, a: _by_key(a), _ORDER),
    "tryStartOrdersByKeys": (lambda v, a: _keys(a), lambda v, answer, a: _outcomes(v, answer)),
    "suspendOrderByKey": (lambda v, a: _by_key(a, "reason"), _ORDER),
    "resumeOrderByKey": (lambda v, a: _by_key(a), _ORDER),
    "abortOrderByKey": (lambda v, a: _by_key(a, "reason"), _ORDER),
    "tryAbortOrdersByKeys": (
        lambda v, a: {**_keys(a), "reason": a.get("reason")},
        lambda v, answer, a: _outcomes(v, answer),
    ),
    "removeOrderByKey": (lambda v, a: _by_key(a), lambda v, answer, a: None),
    "tryRemoveOrdersByKeys": (lambda v, a: _keys(a), lambda v, answer, a: _outcomes(v, answer)),
    "getOrderHistoryByKey": (
        lambda v, a: {"key": key(a["kind"], a["id"])},
        lambda v, answer, a: _history(answer),
    ),
    "changeOrderState": (
        lambda v, a: {**_by_key(a, "reason"), "state": ossj_state(a["state"])},
        _ORDER,
    ),
    "changeOrderItemState": (
        lambda v, a: {**_by_key(a, "reason"), "itemId": a["itemId"], "state": ossj_state(a["state"])},
        _ORDER,
    ),
    "addOrderMilestone": (
        lambda v, a: {**_by_key(a), "milestone": v.child("addOrderMilestone", "milestone", a["milestone"])},
        _ORDER,
    ),
    "getOrderTypes": (
        lambda v, a: {},
        lambda v, answer, a: {t.kind: list(t.orderType) for t in answer or []},
    ),
    "getSupportedOptionalOperations": (lambda v, a: {}, _LIST),
    "getQueryTypes": (lambda v, a: {}, _LIST),
    "getEventTypes": (lambda v, a: {}, lambda v, answer, a: [_event_type(e) for e in answer or []]),
    "makeOrderValue": (
        lambda v, a: {"kind": a["kind"], "orderType": a.get("orderType")},
        lambda v, answer, a: v.document(v.chosen(answer)),
    ),
}


class SoapDriver:
    name = "soap"
    event_timeout = 10.0

    def __init__(self, gateway: SoapGateway) -> None:
        self.gateway = gateway
        self._zeep_values: ZeepValues | None = None

    async def call(self, actor: str, operation: str, args: Args) -> Reply:
        request, result = OPERATIONS[operation]
        values = await self._values(actor)
        try:
            kwargs = request(values, args)
        except Unrepresentable as refused:
            return Reply(error=refused.kind)
        try:
            answer = await self.gateway.call(actor, operation, **kwargs)
        except Fault as fault:
            return Reply(error=fault_kind(fault))
        return Reply(result=result(values, answer, args))

    async def _values(self, actor: str) -> ZeepValues:
        """The WSDL's order value types, read once from the first client zeep built."""
        if self._zeep_values is None:
            self._zeep_values = ZeepValues(await self.gateway.client(actor))
        return self._zeep_values

    async def jeopardy_round(self) -> None:
        """One round of a jeopardy watch on the gateway's store, now (the clock's step)."""
        await jeopardy_round(self.gateway.gateway.store)

    async def events(self, order_id: str) -> list[dict[str, Any]]:
        return [
            {
                "eventId": e.event_id,
                "type": e.type.value,
                "state": e.state,
                "previousState": e.previous_state,
                "taskState": e.task_state,
                "itemChanges": [
                    {"itemId": c.item_id, "previousState": c.previous_state, "state": c.state}
                    for c in e.item_changes
                ],
            }
            for e in await self.gateway.settled_events()
            if e.order_id == order_id
        ]
