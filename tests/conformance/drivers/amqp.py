"""The AMQP driver: canonical operations as XML requests on ``ordergate.requests``.

Each actor publishes as a broker user of its own, with the ``user_id``
property the broker checks, and reads its replies (every page of a query)
from a reply queue of its own; an ``<op>Exception`` reply is reported by the
error kind it carries.  Events are those the driver's own queue, bound to the
``ordergate.events`` exchange, received.  Every message the gateway sends is
validated against the XSD it serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractQueue
from lxml import etree

from tests.amqp_broker import EVENTS, Received, Requester, received
from tests.amqp_gateway import RunningGateway, user_of
from tests.conformance.driver import Reply, jeopardy_round
from tests.conformance.drivers.amqp_replies import (
    NSMAP,
    event,
    event_type,
    exception_kind,
    history,
    report,
    text,
)
from tests.conformance.drivers.amqp_values import (
    Unrepresentable,
    XmlValues,
    key,
    names,
    ossj_state,
    request,
    sub,
)

Args = dict[str, Any]
Build = Callable[[XmlValues, Args], etree._Element]
_STATE_PATHS = {"state", "items.state"}


def _create(operation: str) -> Build:
    def build(v: XmlValues, a: Args) -> etree._Element:
        root = request(operation)
        v.order_value(root, a["value"], a["kind"])
        return root

    return build


def _creates(operation: str) -> Build:
    def build(v: XmlValues, a: Args) -> etree._Element:
        root = request(operation)
        values = sub(root, "values")
        for value in a["values"]:
            v.order_value(values, value, a["kind"])
        return root

    return build


def _get(v: XmlValues, a: Args) -> etree._Element:
    root = request("getOrderByKey")
    key(root, a["kind"], a["id"])
    names(root, a.get("attributes"))
    return root


def _get_all(v: XmlValues, a: Args) -> etree._Element:
    root = request("getOrdersByKeys")
    keys = sub(root, "keys")
    for order_id in a["ids"]:
        key(keys, a["kind"], order_id)
    names(root, a.get("attributes"))
    return root


def _filter_value(path: str, value: Any) -> str:
    if path in _STATE_PATHS:
        return ossj_state(value)
    if path == "priority":
        from core.domain.model import Priority

        return str(Priority[value.upper()].ossj) if str(value).upper() in Priority.__members__ else str(value)
    return str(value)


def _query(v: XmlValues, a: Args) -> etree._Element:
    root = request("queryOrders")
    query = sub(root, "query")
    if a.get("kind"):
        sub(query, "kind", a["kind"])
    for path, op, values in a.get("criteria", []):
        criterion = sub(query, "filter")
        sub(criterion, "attribute", path)
        sub(criterion, "operator", op)
        for value in values:
            sub(criterion, "value", _filter_value(path, value))
    for sort in a.get("sort", []):
        sort_key = sub(query, "sort")
        sub(sort_key, "attribute", sort.lstrip("-"))
        sub(sort_key, "descending", "true" if sort.startswith("-") else "false")
    names(root, a.get("attributes"))
    if a.get("offset"):
        sub(root, "offset", a["offset"])
    if a.get("limit") is not None:
        sub(root, "howMany", a["limit"])  # the page size: the first page is the limited answer
    return root


def _set(v: XmlValues, a: Args) -> etree._Element:
    root = request("setOrderByValue")
    version = {"version": a["version"]} if a.get("version") is not None else {}
    v.order_value(root, {**a["value"], **version}, a["kind"], a["id"])
    return root


def _try_set(v: XmlValues, a: Args) -> etree._Element:
    root = request("trySetOrdersByValues")
    values = sub(root, "values")
    for value in a["values"]:
        v.order_value(values, {k: v for k, v in value.items() if k != "id"}, a["kind"], value["id"])
    return root


def _by_key(operation: str, *extra: str) -> Build:
    """``key``, ``version`` and then ``extra`` elements, in the XSD's order."""

    def build(v: XmlValues, a: Args) -> etree._Element:
        root = request(operation)
        key(root, a["kind"], a["id"])
        if a.get("version") is not None:
            sub(root, "version", a["version"])
        for name in extra:
            if a.get(name) is not None:
                sub(root, name, ossj_state(a[name]) if name == "state" else a[name])
        return root

    return build


def _try_keys(operation: str, with_reason: bool = False) -> Build:
    def build(v: XmlValues, a: Args) -> etree._Element:
        root = request(operation)
        keys = sub(root, "keys")
        for order_id in a["ids"]:
            key(keys, a["kind"], order_id)
        if with_reason and a.get("reason") is not None:
            sub(root, "reason", a["reason"])
        return root

    return build


def _milestone(v: XmlValues, a: Args) -> etree._Element:
    root = request("addOrderMilestone")
    key(root, a["kind"], a["id"])
    if a.get("version") is not None:
        sub(root, "version", a["version"])
    v.child(root, "milestone", a["milestone"])
    return root


def _history(v: XmlValues, a: Args) -> etree._Element:
    root = request("getOrderHistoryByKey")
    key(root, a["kind"], a["id"])
    return root


def _make_value(v: XmlValues, a: Args) -> etree._Element:
    root = request("makeOrderValue")
    sub(root, "kind", a["kind"])
    if a.get("orderType") is not None:
        sub(root, "orderType", a["orderType"])
    return root


Pages = list[Received]


def _order(v: XmlValues, pages: Pages, a: Args) -> Any:
    return v.document(v.values_in(pages[0].root)[0])


def _orders(v: XmlValues, pages: Pages, a: Args) -> Any:
    return [v.document(e) for e in v.values_in(pages[0].root.find("om:values", NSMAP))]


def _outcomes(v: XmlValues, pages: Pages, a: Args) -> Any:
    return v.outcomes(pages[0].root.find("om:results", NSMAP))


def _query_result(v: XmlValues, pages: Pages, a: Args) -> Any:
    shown = pages[:1] if a.get("limit") is not None else pages
    return {
        "orders": [v.document(e) for p in shown for e in v.values_in(p.root.find("om:values", NSMAP))],
        "total": int(pages[0].text("om:totalCount") or 0),
    }


def _texts(v: XmlValues, pages: Pages, a: Args) -> Any:
    return [e.text for e in pages[0].root]


def _order_types(v: XmlValues, pages: Pages, a: Args) -> Any:
    return {
        text(t, "om:kind"): [o.text for o in t.findall("om:orderType", NSMAP)]
        for t in pages[0].root.findall("om:orderTypes", NSMAP)
    }


_metadata = request
OPERATIONS: dict[str, tuple[Build, Callable[[XmlValues, Pages, Args], Any]]] = {
    "createOrderByValue": (_create("createOrderByValue"), _order),
    "createOrdersByValues": (_creates("createOrdersByValues"), _orders),
    "tryCreateOrdersByValues": (_creates("tryCreateOrdersByValues"), _outcomes),
    "checkOrderFeasibility": (
        _create("checkOrderFeasibility"),
        lambda v, pages, a: report(pages[0].root.find("om:report", NSMAP)),
    ),
    "getOrderByKey": (_get, _order),
    "getOrdersByKeys": (_get_all, _orders),
    "queryOrders": (_query, _query_result),
    "setOrderByValue": (_set, _order),
    "trySetOrdersByValues": (_try_set, _outcomes),
    "startOrderByKey": (_by_key("startOrderByKey"), _order),
    "tryStartOrdersByKeys": (_try_keys("tryStartOrdersByKeys"), _outcomes),
    "suspendOrderByKey": (_by_key("suspendOrderByKey", "reason"), _order),
    "resumeOrderByKey": (_by_key("resumeOrderByKey"), _order),
    "abortOrderByKey": (_by_key("abortOrderByKey", "reason"), _order),
    "tryAbortOrdersByKeys": (_try_keys("tryAbortOrdersByKeys", with_reason=True), _outcomes),
    "removeOrderByKey": (_by_key("removeOrderByKey"), lambda v, pages, a: None),
    "tryRemoveOrdersByKeys": (_try_keys("tryRemoveOrdersByKeys"), _outcomes),
    "getOrderHistoryByKey": (_history, lambda v, pages, a: history(pages[0].root)),
    "changeOrderState": (_by_key("changeOrderState", "state", "reason"), _order),
    "changeOrderItemState": (_by_key("changeOrderItemState", "itemId", "state", "reason"), _order),
    "addOrderMilestone": (_milestone, _order),
    "getOrderTypes": (lambda v, a: _metadata("getOrderTypes"), _order_types),
    "getSupportedOptionalOperations": (lambda v, a: _metadata("getSupportedOptionalOperations"), _texts),
    "getQueryTypes": (lambda v, a: _metadata("getQueryTypes"), _texts),
    "getEventTypes": (
        lambda v, a: _metadata("getEventTypes"),
        lambda v, pages, a: [event_type(e.text or "") for e in pages[0].root],
    ),
    "makeOrderValue": (_make_value, _order),
}


def _complete(pages: Pages) -> bool:
    """One reply, or every page of a query (the last says endOfReply)."""
    return any(p.name != "queryOrdersResponse" or p.text("om:endOfReply") == "true" for p in pages)


class AmqpDriver:
    name = "amqp"
    event_timeout = 10.0

    def __init__(self, gateway: RunningGateway, actor_urls: dict[str, str]) -> None:
        self.gateway = gateway
        self._actor_urls = actor_urls
        self._requesters: dict[str, Requester] = {}
        self._users = {actor: user_of(url) for actor, url in actor_urls.items()}
        self._events: list[tuple[str | None, dict[str, Any]]] = []
        self._seen: set[str] = set()
        self.invalid: list[str] = []
        # seconds a request may wait for the gateway (AMQP expiration); set while the database is cut off
        self.expiration: float | None = None
        self.values = XmlValues(gateway.schema)  # the order values of the XSD the gateway serves

    async def open(self) -> AmqpDriver:
        for actor, url in self._actor_urls.items():
            self._requesters[actor] = await Requester(url, self.gateway.schema).open()
        self._connection: AbstractConnection = await aio_pika.connect(self.gateway.amqp_url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(EVENTS, aio_pika.ExchangeType.TOPIC, durable=True)
        self._queue: AbstractQueue = await channel.declare_queue(exclusive=True)
        await self._queue.bind(exchange, "#")
        return self

    async def close(self) -> None:
        for requester in self._requesters.values():
            self.invalid += requester.invalid
            await requester.close()
        await self._connection.close()

    async def call(self, actor: str, operation: str, args: Args) -> Reply:
        build, result = OPERATIONS[operation]
        try:
            body = etree.tostring(build(self.values, args), xml_declaration=True, encoding="UTF-8")
        except Unrepresentable as refused:
            return Reply(error=refused.kind)
        requester = self._requesters[actor]
        reply_key = await requester.send(body, user_id=self._users[actor], expiration=self.expiration)
        pages = await requester.wait_until(reply_key, _complete)
        if pages[0].name.endswith("Exception"):
            return Reply(error=exception_kind(pages[0].root))
        pages = sorted(pages, key=lambda p: int(p.text("om:sequence") or 0))
        return Reply(result=result(self.values, pages, args))

    async def jeopardy_round(self) -> None:
        """One round of a jeopardy watch on the gateway's store, now (the clock's step)."""
        await jeopardy_round(self.gateway.gateway.store)

    async def events(self, order_id: str) -> list[dict[str, Any]]:
        # once the relay has every committed event confirmed, the broker has routed it to our queue
        await self.gateway.events_settled()
        while (message := await self._queue.get(no_ack=True, fail=False)) is not None:
            try:
                root = received(message, self.gateway.schema).root
            except Exception as error:
                self.invalid.append(f"{message.routing_key}: {error}")
                continue
            seen = event(root)
            if seen["eventId"] not in self._seen:  # at least once: dedupe on the event id
                self._seen.add(seen["eventId"])
                self._events.append((text(root, "om:key/om:primaryKey"), seen))
        return [e for owner, e in self._events if owner == order_id]
