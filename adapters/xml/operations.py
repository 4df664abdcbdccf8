"""Every operation of the vocabulary, executed on the core: shared by AMQP and SOAP.

``XmlOrderOperations.execute`` takes a validated ``<op>Request`` element and the
caller, makes the one ``OrderManagement`` call, and returns the
``<op>Response`` element(s); core errors propagate as ``OrderError`` for the
transport to render with ``errors.error_element`` in its own envelope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from lxml import etree

from adapters.xml import events as xml_events
from adapters.xml import reporting
from adapters.xml.codec import (
    MILESTONE_FIELDS,
    by_name,
    child,
    children,
    key_element,
    key_from,
    local,
    order_element,
    state_to_xml,
    sub,
    text_in,
    text_of,
)
from adapters.xml.errors import error_element
from adapters.xml.schema import NS, q
from adapters.xml.values import order_query, order_value, value_elements
from core.document.render import history_to_dict, order_to_dict
from core.domain.errors import IllegalArgument, UnsupportedOperation
from core.domain.model import Caller, Kind, Order
from core.domain.query import select
from core.domain.states import State
from core.usecases import OrderManagement, Outcome

Handler = Callable[[Caller, etree._Element], Awaitable[etree._Element]]


def operation_of(request: etree._Element) -> str:
    name = local(request)
    if etree.QName(request).namespace != NS:
        raise IllegalArgument(f"root element is not in namespace {NS}")
    if not name.endswith("Request"):
        raise UnsupportedOperation(f"{name} is not a request")
    return name.removesuffix("Request")


def _root(operation: str) -> etree._Element:
    return etree.Element(q(f"{operation}Response"), nsmap={None: NS})


def _attributes(request: etree._Element) -> tuple[str, ...] | None:
    names = child(request, "attributeNames")
    return None if names is None else tuple(n.text or "" for n in children(names, "name"))


def _version(request: etree._Element) -> int | None:
    raw = text_of(request, "version")
    return None if raw is None else int(raw)


def _order(parent: etree._Element, order: Order, attributes: tuple[str, ...] | None = None) -> None:
    order_element(parent, select(order_to_dict(order, with_history=False), attributes))


def _results(parent: etree._Element, outcomes: list[Outcome], kinds: Mapping[int, str]) -> None:
    results = sub(parent, "results")
    for o in outcomes:
        r = sub(results, "result")
        sub(r, "index", o.index)
        if o.key or o.order:
            key_element(r, o.order.kind.value if o.order else kinds[o.index], o.key or o.order.id)  # type: ignore[union-attr]
        sub(r, "success", o.ok)
        if o.order is not None:
            _order(r, o.order)
        if o.error is not None:
            exception = sub(r, "exception")
            exception.append(error_element("x", o.error)[0])


class XmlOrderOperations:
    def __init__(self, orders: OrderManagement) -> None:
        self.orders = orders
        self._handlers: dict[str, Handler] = {
            name.removeprefix("op_"): getattr(self, name) for name in dir(self) if name.startswith("op_")
        }

    @property
    def operations(self) -> list[str]:
        return sorted(self._handlers)

    @classmethod
    def operation_names(cls) -> list[str]:
        """Every operation of the vocabulary, in DESIGN §3 order of the XSD."""
        return [n.removeprefix("op_") for n in vars(cls) if n.startswith("op_")]

    async def execute(
        self, caller: Caller, request: etree._Element, *, all_pages: bool = False
    ) -> list[etree._Element]:
        operation = operation_of(request)
        if operation == "queryOrders" and all_pages:
            return [page async for page in self.query_pages(caller, request)]
        handler = self._handlers.get(operation)
        if handler is None:
            raise UnsupportedOperation(f"unknown operation {operation}")
        return [await handler(caller, request)]

    # ---------------------------------------------------------------- metadata

    async def op_getOrderTypes(self, caller: Caller, request: etree._Element) -> etree._Element:
        root = _root("getOrderTypes")
        for kind, types in self.orders.get_order_types().items():
            entry = sub(root, "orderTypes")
            sub(entry, "kind", kind.value)
            for t in types:
                sub(entry, "orderType", t)
        return root

    async def _names(self, operation: str, element: str, names: list[str]) -> etree._Element:
        root = _root(operation)
        for n in names:
            sub(root, element, n)
        return root

    async def op_getSupportedOptionalOperations(
        self, caller: Caller, request: etree._Element
    ) -> etree._Element:
        return await self._names(
            "getSupportedOptionalOperations", "operation", self.orders.get_supported_optional_operations()
        )

    async def op_getQueryTypes(self, caller: Caller, request: etree._Element) -> etree._Element:
        return await self._names("getQueryTypes", "queryType", self.orders.get_query_types())

    async def op_getEventTypes(self, caller: Caller, request: etree._Element) -> etree._Element:
        return await self._names("getEventTypes", "eventType", list(xml_events.EVENT_ELEMENTS.values()))

    async def op_makeOrderValue(self, caller: Caller, request: etree._Element) -> etree._Element:
        kind = Kind.parse(text_of(request, "kind") or "")
        template = self.orders.make_order_value(kind, text_of(request, "orderType"))
        root = _root("makeOrderValue")
        value = sub(root, f"{kind.value}Value")
        sub(value, "orderType", template["orderType"])
        sub(value, "items")
        return root

    # ---------------------------------------------------------------- create

    @staticmethod
    def _create_value(el: etree._Element) -> tuple[Kind, dict[str, Any]]:
        kind, order_id, version, value = order_value(el)
        if order_id:
            value["id"] = order_id
        if version is not None:
            value["version"] = version  # read-only: the core says so
        return kind, value

    def _single_value(self, request: etree._Element) -> etree._Element:
        values = value_elements(request)
        if len(values) != 1:
            raise IllegalArgument("exactly one order value is expected")
        return values[0]

    async def op_checkOrderFeasibility(self, caller: Caller, request: etree._Element) -> etree._Element:
        kind, value = self._create_value(self._single_value(request))
        report = self.orders.check_feasibility(caller, kind, value)
        root = _root("checkOrderFeasibility")
        r = sub(root, "report")
        sub(r, "feasible", report.feasible)
        for reason in report.reasons:
            sub(r, "reason", reason)
        for item in report.items:
            i = sub(r, "item")
            sub(i, "itemId", item.item_id)
            sub(i, "feasible", item.feasible)
            for reason in item.reasons:
                sub(i, "reason", reason)
        return root

    async def op_createOrderByValue(self, caller: Caller, request: etree._Element) -> etree._Element:
        kind, value = self._create_value(self._single_value(request))
        root = _root("createOrderByValue")
        _order(root, await self.orders.create_order(caller, kind, value))
        return root

    def _values(self, request: etree._Element) -> list[tuple[Kind, dict[str, Any]]]:
        values = child(request, "values")
        return [self._create_value(v) for v in value_elements(values)] if values is not None else []

    async def op_createOrdersByValues(self, caller: Caller, request: etree._Element) -> etree._Element:
        values = self._values(request)
        kinds = {k for k, _ in values}
        if len(kinds) > 1:
            raise IllegalArgument("an atomic create takes orders of one kind")
        created = await self.orders.create_orders(
            caller, kinds.pop() if kinds else Kind.PRODUCT, [v for _, v in values]
        )
        root = _root("createOrdersByValues")
        out = sub(root, "values")
        for order in created:
            _order(out, order)
        return root

    async def op_tryCreateOrdersByValues(self, caller: Caller, request: etree._Element) -> etree._Element:
        values = self._values(request)
        outcomes = [
            await self.orders.attempt(i, None, lambda k=k, v=v: self.orders.create_order(caller, k, v))  # type: ignore[misc]
            for i, (k, v) in enumerate(values)
        ]
        root = _root("tryCreateOrdersByValues")
        _results(root, outcomes, {i: k.value for i, (k, _) in enumerate(values)})
        return root

    # ---------------------------------------------------------------- read

    async def op_getOrderByKey(self, caller: Caller, request: etree._Element) -> etree._Element:
        kind, order_id = key_from(child(request, "key"))  # type: ignore[arg-type]
        attributes = _attributes(request)
        root = _root("getOrderByKey")
        _order(root, await self.orders.get_order(caller, kind, order_id, attributes), attributes)
        return root

    async def op_getOrdersByKeys(self, caller: Caller, request: etree._Element) -> etree._Element:
        attributes = _attributes(request)
        root = _root("getOrdersByKeys")
        out = sub(root, "values")
        for key in children(child(request, "keys"), "key"):
            kind, order_id = key_from(key)
            _order(out, await self.orders.get_order(caller, kind, order_id, attributes), attributes)
        return root

    def _page(
        self, sequence: int, end: bool, total: int, orders: list[Order], attributes: tuple[str, ...] | None
    ) -> etree._Element:
        root = _root("queryOrders")
        sub(root, "sequence", sequence)
        sub(root, "endOfReply", end)
        sub(root, "totalCount", total)
        out = sub(root, "values")
        for order in orders:
            _order(out, order, attributes)
        return root

    async def op_queryOrders(self, caller: Caller, request: etree._Element) -> etree._Element:
        """One page: howMany orders from offset (all of them without howMany)."""
        offset = int(text_of(request, "offset") or 0)
        how_many = text_of(request, "howMany")
        attributes = _attributes(request)
        query = order_query(
            child(request, "query"),
            attributes,
            offset,  # type: ignore[arg-type]
            None if how_many is None else int(how_many),
        )
        page = await self.orders.query_orders(caller, query)
        return self._page(1, offset + len(page.orders) >= page.total, page.total, page.orders, attributes)

    async def query_pages(self, caller: Caller, request: etree._Element) -> AsyncIterator[etree._Element]:
        """Every page from offset on, howMany orders each (OSS/J iterator replies)."""
        offset = int(text_of(request, "offset") or 0)
        raw = text_of(request, "howMany")
        how_many = None if raw is None or int(raw) <= 0 else int(raw)
        attributes = _attributes(request)
        sequence = 1
        while True:
            query = order_query(child(request, "query"), attributes, offset, how_many)  # type: ignore[arg-type]
            page = await self.orders.query_orders(caller, query)
            offset += len(page.orders)
            end = how_many is None or offset >= page.total or not page.orders
            yield self._page(sequence, end, page.total, page.orders, attributes)
            if end:
                return
            sequence += 1

    async def op_getOrderHistoryByKey(self, caller: Caller, request: etree._Element) -> etree._Element:
        kind, order_id = key_from(child(request, "key"))  # type: ignore[arg-type]
        root = _root("getOrderHistoryByKey")
        for entry in await self.orders.get_order_history(caller, kind, order_id):
            doc = history_to_dict(entry)
            e = sub(root, "entry")
            sub(e, "at", doc["at"])
            sub(e, "actor", doc["actor"])
            if "fromState" in doc:
                sub(e, "fromState", state_to_xml(doc["fromState"]))
            sub(e, "toState", state_to_xml(doc["toState"]))
            for name in ("reason", "itemId", "operation"):
                if name in doc:
                    sub(e, name, doc[name])
        return root

    # ---------------------------------------------------------------- change

    async def op_setOrderByValue(self, caller: Caller, request: etree._Element) -> etree._Element:
        kind, order_id, version, value = order_value(self._single_value(request))
        if not order_id:
            raise IllegalArgument("setOrderByValue needs the order's key")
        root = _root("setOrderByValue")
        _order(root, await self.orders.set_order(caller, kind, order_id, value, version))
        return root

    async def op_trySetOrdersByValues(self, caller: Caller, request: etree._Element) -> etree._Element:
        parsed = [order_value(v) for v in value_elements(child(request, "values"))]  # type: ignore[arg-type]
        outcomes = []
        for i, (kind, order_id, version, value) in enumerate(parsed):
            if not order_id:
                outcomes.append(Outcome(i, None, error=IllegalArgument("an order value without a key")))
                continue
            outcomes.append(
                await self.orders.attempt(
                    i,
                    order_id,
                    lambda k=kind, o=order_id, v=value, ver=version: self.orders.set_order(
                        caller, k, o, v, ver
                    ),
                )
            )  # type: ignore[misc]
        root = _root("trySetOrdersByValues")
        _results(root, outcomes, {i: p[0].value for i, p in enumerate(parsed)})
        return root

    async def _by_key(
        self,
        operation: str,
        caller: Caller,
        request: etree._Element,
        call: Callable[[Kind, str, int | None], Awaitable[Order | None]],
    ) -> etree._Element:
        kind, order_id = key_from(child(request, "key"))  # type: ignore[arg-type]
        order = await call(kind, order_id, _version(request))
        root = _root(operation)
        if order is not None:
            _order(root, order)
        return root

    async def op_startOrderByKey(self, caller: Caller, request: etree._Element) -> etree._Element:
        return await self._by_key(
            "startOrderByKey", caller, request, lambda k, i, v: self.orders.start_order(caller, k, i, v)
        )

    async def op_suspendOrderByKey(self, caller: Caller, request: etree._Element) -> etree._Element:
        reason = text_of(request, "reason")
        return await self._by_key(
            "suspendOrderByKey",
            caller,
            request,
            lambda k, i, v: self.orders.suspend_order(caller, k, i, reason, v),
        )

    async def op_resumeOrderByKey(self, caller: Caller, request: etree._Element) -> etree._Element:
        return await self._by_key(
            "resumeOrderByKey", caller, request, lambda k, i, v: self.orders.resume_order(caller, k, i, v)
        )

    async def op_abortOrderByKey(self, caller: Caller, request: etree._Element) -> etree._Element:
        reason = text_of(request, "reason")
        return await self._by_key(
            "abortOrderByKey",
            caller,
            request,
            lambda k, i, v: self.orders.abort_order(caller, k, i, reason, v),
        )

    async def op_removeOrderByKey(self, caller: Caller, request: etree._Element) -> etree._Element:
        return await self._by_key(
            "removeOrderByKey", caller, request, lambda k, i, v: self.orders.remove_order(caller, k, i, v)
        )

    async def op_addOrderMilestone(self, caller: Caller, request: etree._Element) -> etree._Element:
        found = by_name(child(request, "milestone"))  # type: ignore[arg-type]
        milestone = {k: v for k in MILESTONE_FIELDS if (v := text_in(found, k)) is not None}
        return await self._by_key(
            "addOrderMilestone",
            caller,
            request,
            lambda k, i, v: self.orders.add_milestone(caller, k, i, milestone, v),
        )

    async def op_changeOrderState(self, caller: Caller, request: etree._Element) -> etree._Element:
        state = State.from_ossj(text_of(request, "state") or "")
        reason = text_of(request, "reason")
        return await self._by_key(
            "changeOrderState",
            caller,
            request,
            lambda k, i, v: self.orders.change_order_state(caller, k, i, state, reason, v),
        )

    async def op_changeOrderItemState(self, caller: Caller, request: etree._Element) -> etree._Element:
        state = State.from_ossj(text_of(request, "state") or "")
        item_id, reason = text_of(request, "itemId") or "", text_of(request, "reason")
        return await self._by_key(
            "changeOrderItemState",
            caller,
            request,
            lambda k, i, v: self.orders.change_order_item_state(caller, k, i, item_id, state, reason, v),
        )

    async def _try_keys(
        self,
        operation: str,
        caller: Caller,
        request: etree._Element,
        call: Callable[[Kind, str], Awaitable[Order | None]],
    ) -> etree._Element:
        keys = [key_from(k) for k in children(child(request, "keys"), "key")]
        outcomes = [
            await self.orders.attempt(i, order_id, lambda k=kind, o=order_id: call(k, o))  # type: ignore[misc]
            for i, (kind, order_id) in enumerate(keys)
        ]
        root = _root(operation)
        _results(root, outcomes, {i: k.value for i, (k, _) in enumerate(keys)})
        return root

    async def op_tryStartOrdersByKeys(self, caller: Caller, request: etree._Element) -> etree._Element:
        return await self._try_keys(
            "tryStartOrdersByKeys", caller, request, lambda k, i: self.orders.start_order(caller, k, i)
        )

    async def op_tryAbortOrdersByKeys(self, caller: Caller, request: etree._Element) -> etree._Element:
        reason = text_of(request, "reason")
        return await self._try_keys(
            "tryAbortOrdersByKeys",
            caller,
            request,
            lambda k, i: self.orders.abort_order(caller, k, i, reason),
        )

    async def op_tryRemoveOrdersByKeys(self, caller: Caller, request: etree._Element) -> etree._Element:
        return await self._try_keys(
            "tryRemoveOrdersByKeys", caller, request, lambda k, i: self.orders.remove_order(caller, k, i)
        )

    # ---------------------------------------------------------------- report

    op_getProvisioningReport = reporting.op_getProvisioningReport
