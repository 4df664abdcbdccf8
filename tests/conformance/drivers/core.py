"""The in-process driver: canonical operations straight onto ``OrderManagement``.

It is the reference every profile is compared with.  Events are observed the
way a profile's channel sees them: an ``OutboxRelay`` publishes the committed
outbox to a collecting publisher (drained before each look).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from core.document.render import history_to_dict, order_to_dict
from core.domain.errors import IllegalArgument, OrderError, UnsupportedOperation
from core.domain.events import OrderEvent
from core.domain.feasibility import FeasibilityReport
from core.domain.model import Caller, Kind, Order, Role
from core.domain.query import Criterion, Op, OrderQuery, SortKey, select
from core.domain.states import State
from core.usecases import OrderManagement, Outcome, Settings
from core.usecases.management import parse_switched_off
from core.usecases.relay import OutboxRelay
from ordergate.catalog import load_catalog
from tests.conformance.driver import ACTORS, Reply, jeopardy_round

Args = dict[str, Any]
# operations that never write: the outbox need not be drained after them
READS = frozenset(
    {"getOrderByKey", "getOrdersByKeys", "queryOrders", "getOrderHistoryByKey", "checkOrderFeasibility"}
    | {"getOrderTypes", "getSupportedOptionalOperations", "getQueryTypes", "getEventTypes", "makeOrderValue"}
)


def _caller(actor: str) -> Caller:
    return Caller(actor, frozenset(Role(r) for r in ACTORS[actor]))


def _kind(args: Args) -> Kind | None:
    return Kind.parse(args["kind"]) if args.get("kind") else None


def _doc(order: Order, attributes: list[str] | None = None) -> dict[str, Any]:
    return select(order_to_dict(order, with_history=False), attributes)


def _outcomes(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    return [
        {"index": o.index, "id": o.key, **({"error": o.error.kind} if o.error else {"order": _doc(o.order)})}
        if o.order or o.error
        else {"index": o.index, "id": o.key}
        for o in outcomes
    ]


def _report(report: FeasibilityReport) -> dict[str, Any]:
    return {
        "feasible": report.feasible,
        "reasons": list(report.reasons),
        "items": [
            {"itemId": i.item_id, "feasible": i.feasible, "reasons": list(i.reasons)} for i in report.items
        ],
    }


def _query(args: Args) -> OrderQuery:
    try:
        criteria = tuple(
            Criterion(path, Op(op), tuple(values)) for path, op, values in args.get("criteria", [])
        )
    except ValueError as e:  # an unknown comparison operator
        raise IllegalArgument(f"bad filter: {e}") from None
    sort = tuple(SortKey(k.lstrip("-"), k.startswith("-")) for k in args.get("sort", []))
    attributes = args.get("attributes")
    return OrderQuery(
        _kind(args),
        criteria,
        sort,
        args.get("offset", 0),
        args.get("limit"),
        tuple(attributes) if attributes else None,
    )


def _event(event: OrderEvent) -> dict[str, Any]:
    return {
        "eventId": event.event_id,
        "type": event.type.value,
        "state": event.state,
        "previousState": event.previous_state,
        "taskState": event.task_state,
        "itemChanges": [
            {"itemId": c.item_id, "previousState": c.previous_state, "state": c.state}
            for c in event.item_changes
        ],
    }


class CoreDriver:
    name = "core"

    def __init__(self, store: Any, switched_off: str = "", catalog: str | None = None) -> None:
        settings = Settings(switched_off=parse_switched_off(switched_off), catalog=load_catalog(catalog))
        self.orders = OrderManagement(store, settings)
        self._published: list[OrderEvent] = []
        self._relay = OutboxRelay(store, [self], batch=500)
        self._store = store
        self._written = False  # a write since the last drain: the outbox may hold news
        self._operations = self._table()

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        self._published.extend(events)

    async def jeopardy_round(self) -> None:
        """One round of a jeopardy watch on the store, now (the clock's step)."""
        self._written = True
        await jeopardy_round(self._store)

    async def events(self, order_id: str) -> list[dict[str, Any]]:
        if self._written:
            self._written = False
            await self._relay.drain()
            # handed back at once: a gateway a later test runs on the same database publishes
            # without waiting for this lease to run out
            await self._store.release_lease(OutboxRelay.LEASE, self._relay.holder)
        seen: set[str] = set()
        out = []
        for event in self._published:  # at least once: a consumer dedupes on the event id
            if event.order_id == order_id and event.event_id not in seen:
                seen.add(event.event_id)
                out.append(_event(event))
        return out

    async def call(self, actor: str, operation: str, args: Args) -> Reply:
        handler = self._operations.get(operation)
        self._written = self._written or operation not in READS  # failed writes too: they must emit nothing
        try:
            if handler is None:
                raise UnsupportedOperation(f"unknown operation {operation!r}")
            return Reply(result=await handler(_caller(actor), args))
        except OrderError as e:
            return Reply(error=e.kind)

    def _table(self) -> dict[str, Callable[[Caller, Args], Awaitable[Any]]]:
        om = self.orders

        async def create(c: Caller, a: Args) -> Any:
            return _doc(await om.create_order(c, Kind.parse(a["kind"]), a["value"]))

        async def create_all(c: Caller, a: Args) -> Any:
            return [_doc(o) for o in await om.create_orders(c, Kind.parse(a["kind"]), a["values"])]

        async def try_create(c: Caller, a: Args) -> Any:
            return _outcomes(await om.try_create_orders(c, Kind.parse(a["kind"]), a["values"]))

        async def feasibility(c: Caller, a: Args) -> Any:
            return _report(om.check_feasibility(c, Kind.parse(a["kind"]), a["value"]))

        async def get(c: Caller, a: Args) -> Any:
            return _doc(await om.get_order(c, _kind(a), a["id"], a.get("attributes")), a.get("attributes"))

        async def get_all(c: Caller, a: Args) -> Any:
            orders = await om.get_orders(c, _kind(a), a["ids"], a.get("attributes"))
            return [_doc(o, a.get("attributes")) for o in orders]

        async def query(c: Caller, a: Args) -> Any:
            q = _query(a)
            page = await om.query_orders(c, q)
            return {"orders": [_doc(o, a.get("attributes")) for o in page.orders], "total": page.total}

        async def set_one(c: Caller, a: Args) -> Any:
            return _doc(await om.set_order(c, _kind(a), a["id"], a["value"], a.get("version")))

        async def try_set(c: Caller, a: Args) -> Any:
            values = {v["id"]: {k: x for k, x in v.items() if k != "id"} for v in a["values"]}
            keys = [v["id"] for v in a["values"]]
            return _outcomes(await om.try_for_each(keys, lambda k: om.set_order(c, _kind(a), k, values[k])))

        def by_key(run: Callable[[Caller, Kind | None, str, Args], Awaitable[Any]]) -> Any:
            async def one(c: Caller, a: Args) -> Any:
                result = await run(c, _kind(a), a["id"], a)
                return _doc(result) if isinstance(result, Order) else result

            async def each(c: Caller, a: Args) -> Any:
                return _outcomes(await om.try_for_each(a["ids"], lambda k: run(c, _kind(a), k, a)))

            return one, each

        start, try_start = by_key(lambda c, k, i, a: om.start_order(c, k, i, a.get("version")))
        abort, try_abort = by_key(
            lambda c, k, i, a: om.abort_order(c, k, i, a.get("reason"), a.get("version"))
        )
        remove, try_remove = by_key(lambda c, k, i, a: om.remove_order(c, k, i, a.get("version")))
        suspend, _ = by_key(lambda c, k, i, a: om.suspend_order(c, k, i, a.get("reason"), a.get("version")))
        resume, _ = by_key(lambda c, k, i, a: om.resume_order(c, k, i, a.get("version")))
        to_state, _ = by_key(
            lambda c, k, i, a: om.change_order_state(
                c, k, i, State.from_tmf(a["state"]), a.get("reason"), a.get("version")
            )
        )
        item_to_state, _ = by_key(
            lambda c, k, i, a: om.change_order_item_state(
                c, k, i, a["itemId"], State.from_tmf(a["state"]), a.get("reason"), a.get("version")
            )
        )

        milestone, _ = by_key(lambda c, k, i, a: om.add_milestone(c, k, i, a["milestone"], a.get("version")))

        async def history(c: Caller, a: Args) -> Any:
            return [history_to_dict(h) for h in await om.get_order_history(c, _kind(a), a["id"])]

        async def order_types(c: Caller, a: Args) -> Any:
            return {k.value: v for k, v in om.get_order_types().items()}

        async def optional_operations(c: Caller, a: Args) -> Any:
            return om.get_supported_optional_operations()

        async def query_types(c: Caller, a: Args) -> Any:
            return om.get_query_types()

        async def event_types(c: Caller, a: Args) -> Any:
            return om.get_event_types()

        async def make_value(c: Caller, a: Args) -> Any:
            return om.make_order_value(Kind.parse(a["kind"]), a.get("orderType"))

        return {
            "createOrderByValue": create,
            "createOrdersByValues": create_all,
            "tryCreateOrdersByValues": try_create,
            "checkOrderFeasibility": feasibility,
            "getOrderByKey": get,
            "getOrdersByKeys": get_all,
            "queryOrders": query,
            "setOrderByValue": set_one,
            "trySetOrdersByValues": try_set,
            "startOrderByKey": start,
            "tryStartOrdersByKeys": try_start,
            "suspendOrderByKey": suspend,
            "resumeOrderByKey": resume,
            "abortOrderByKey": abort,
            "tryAbortOrdersByKeys": try_abort,
            "removeOrderByKey": remove,
            "tryRemoveOrdersByKeys": try_remove,
            "getOrderHistoryByKey": history,
            "changeOrderState": to_state,
            "changeOrderItemState": item_to_state,
            "addOrderMilestone": milestone,
            "getOrderTypes": order_types,
            "getSupportedOptionalOperations": optional_operations,
            "getQueryTypes": query_types,
            "getEventTypes": event_types,
            "makeOrderValue": make_value,
        }
