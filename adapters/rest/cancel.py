"""Cancel task resources: ``{base}/cancel{Kind}Order`` over the core's abort.

A cancel task is the order's cancel request, found in the order's history
(``core.domain.cancel_tasks``; the store keeps each task as a row too, which
is what a listing reads).  Its id is ``<orderId>~<position>``
(the position of the cancel in the history) and its state is read from what
the history says happened after it:

=============================================  ======================================
order history after the cancel                 task state
=============================================  ======================================
cancelled (directly, or after roll-back)       done
cancellation denied (by a fulfiller or the     terminatedWithError (reason given)
core: an item past its point of no return)
pendingCancellation                            inProgress
assessingCancellation                          acknowledged (TMF622) / accepted (others)
=============================================  ======================================

A refused cancel (illegal state) is a 409 and leaves no task; a cancel
request for an order already being (or already) cancelled answers with the
task under way.  Removing an order removes its tasks with it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.rest.auth import CALLER
from adapters.rest.body import if_match, read_json
from adapters.rest.errors import error_of
from adapters.rest.filters import paging_value
from adapters.rest.resources import base_url, only_parameters
from adapters.rest.settings import RestSettings
from adapters.rest.vocabulary import META, TmfKind
from core.document.parse import parse_date
from core.document.render import iso
from core.domain import cancel_tasks
from core.domain.cancel_tasks import CancelTask, CancelTaskQuery, split_task_id
from core.domain.errors import IllegalArgument, IllegalAttributeValue, ObjectNotFound
from core.domain.events import EventType, OrderEvent
from core.domain.model import Caller, Kind, Order
from core.usecases import OrderManagement

_CLOCK_SKEW = timedelta(minutes=5)


def tmf_state(tk: TmfKind, state: str) -> str:
    """A task state in the kind's words: the received state is TMF622's acknowledged, the others'
    accepted."""
    return tk.task_received_state if state == cancel_tasks.RECEIVED else state


def _task(tk: TmfKind, base: str, tid: str, order_id: str, state: str) -> dict[str, Any]:
    """A cancel task's own attributes: its id, state and the order it cancels."""
    return {
        "id": tid,
        "href": f"{base}{tk.base_path}/{tk.cancel_resource}/{tid}",
        "@type": tk.cancel_type,
        "@baseType": "CancelOrder",
        "state": state,
        tk.resource: {
            "id": order_id,
            "href": f"{base}{tk.collection_path}/{order_id}",
            "@referredType": tk.type_name,
        },
    }


def event_task(tk: TmfKind, event: OrderEvent, base: str) -> dict[str, Any]:
    """The cancel task a cancel task event is about, as the event carries it."""
    assert event.task_id is not None
    assert event.task_state is not None
    state = tmf_state(tk, event.task_state)
    out = _task(tk, base, event.task_id, event.order_id, state)
    if event.type is EventType.CANCEL_CREATED and event.reason:
        out["cancellationReason"] = event.reason
    if state == cancel_tasks.DONE:
        out["effectiveCancellationDate"] = iso(event.occurred_at)
    if state == cancel_tasks.TERMINATED and event.reason:
        out["stateReason"] = event.reason
    return out


class CancelResource:
    def __init__(self, tk: TmfKind, orders: OrderManagement, settings: RestSettings) -> None:
        self.tk = tk
        self.orders = orders
        self.settings = settings

    def routes(self) -> list[web.RouteDef]:
        path = f"{self.tk.base_path}/{self.tk.cancel_resource}"
        return [
            web.post(path + "/bulk", self.bulk),
            web.post(path, self.create),
            web.get(path, self.list),
            web.get(path + "/{id}", self.retrieve),
        ]

    def render(self, request: web.Request, task: CancelTask) -> dict[str, Any]:
        state = tmf_state(self.tk, task.state)
        out = _task(self.tk, base_url(request, self.settings), task.id, task.order_id, state)
        if task.reason is not None:
            out["cancellationReason"] = task.reason
        if task.requested is not None:
            out["requestedCancellationDate"] = iso(task.requested)
        if task.state == cancel_tasks.DONE and task.decided_at is not None:
            out["effectiveCancellationDate"] = iso(task.decided_at)
        if task.state == cancel_tasks.TERMINATED and task.decided_reason:
            out["stateReason"] = task.decided_reason
            if self.tk.kind is Kind.SERVICE:  # TMF641 has a place for it
                out["errorMessage"] = {"code": "cancellationDenied", "reason": task.decided_reason}
        return out

    def parse(self, body: Any) -> tuple[str, str | None, datetime | None]:
        if not isinstance(body, Mapping):
            raise IllegalArgument(f"a {self.tk.cancel_resource} body must be a JSON object")
        extra = sorted(
            set(body) - META - {"@type", self.tk.resource, "cancellationReason", "requestedCancellationDate"}
        )
        if extra:
            raise IllegalArgument(f"unsupported attribute(s): {', '.join(extra)}")
        ref = body.get(self.tk.resource)
        order_id = ref.get("id") if isinstance(ref, Mapping) else None
        if not isinstance(order_id, str) or not order_id:
            raise IllegalAttributeValue(f"{self.tk.resource}.id", "is required")
        reason = body.get("cancellationReason")
        if reason is not None and not isinstance(reason, str):
            raise IllegalAttributeValue("cancellationReason", "must be a string")
        requested = parse_date(body.get("requestedCancellationDate"), "requestedCancellationDate")
        if requested is not None and requested > datetime.now(UTC) + _CLOCK_SKEW:
            raise IllegalAttributeValue(
                "requestedCancellationDate", "scheduled cancellation is not supported"
            )
        return order_id, reason, requested

    async def _abort(self, caller: Caller, body: Any, version: int | None) -> Order:
        order_id, reason, requested = self.parse(body)
        return await self.orders.abort_order(caller, self.tk.kind, order_id, reason, version, requested)

    def _task(self, request: web.Request, order: Order) -> dict[str, Any]:
        return self.render(request, cancel_tasks.tasks(order)[-1])

    async def create(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        order = await self._abort(request[CALLER], await read_json(request), if_match(request))
        task = self._task(request, order)
        return web.json_response(task, status=201, headers={"Location": task["href"]})

    async def bulk(self, request: web.Request) -> web.Response:
        """Best effort: one cancel per element, each answered as the single request would be."""
        only_parameters(request, ())
        bodies = await read_json(request)
        if not isinstance(bodies, list) or not bodies:
            raise IllegalArgument("a bulk cancel body must be a non-empty JSON array")
        caller, results = request[CALLER], []
        for i, body in enumerate(bodies):
            outcome = await self.orders.attempt(i, None, functools.partial(self._abort, caller, body, None))
            if outcome.error is not None:
                status, error = error_of(outcome.error)
                results.append({"index": i, "status": status, "error": error})  # no task: no id
            elif outcome.order is not None:
                task = self._task(request, outcome.order)
                results.append({"index": i, "id": task["id"], "status": 201, self.tk.cancel_resource: task})
        return web.json_response(results)

    async def retrieve(self, request: web.Request) -> web.Response:
        only_parameters(request, {"fields"})
        order_id, position = split_task_id(request.match_info["id"])
        order = await self.orders.get_order(request[CALLER], self.tk.kind, order_id)
        found = [t for t in cancel_tasks.tasks(order) if t.position == position]
        if not found:
            raise ObjectNotFound(f"no cancel task {request.match_info['id']!r}")
        return web.json_response(_select(self.render(request, found[0]), request.query.get("fields")))

    async def list(self, request: web.Request) -> web.Response:
        only_parameters(request, {"fields", "offset", "limit", "state", f"{self.tk.resource}.id"})
        states = {tmf_state(self.tk, s): s for s in cancel_tasks.TASK_STATES}  # the kind's words
        asked = _split(request.query.get("state"))
        if asked - set(states):
            raise IllegalArgument(
                f"unknown cancel task state(s) {', '.join(sorted(asked - set(states)))[:200]}:"
                f" a {self.tk.cancel_resource} is {', '.join(states)}"
            )
        query = CancelTaskQuery(
            kind=self.tk.kind,
            order_ids=frozenset(_split(request.query.get(f"{self.tk.resource}.id"))),
            states=frozenset(states[s] for s in asked),
            offset=_int(request, "offset", 0),
            limit=min(_int(request, "limit", self.settings.default_limit), self.settings.max_limit),
        )
        found = await self.orders.query_cancel_tasks(request[CALLER], query)
        page = [_select(self.render(request, t), request.query.get("fields")) for t in found.tasks]
        return web.json_response(
            page, headers={"X-Total-Count": str(found.total), "X-Result-Count": str(len(page))}
        )


def _split(raw: str | None) -> set[str]:
    return set() if not raw else set(raw.split(","))


def _int(request: web.Request, name: str, default: int) -> int:
    value = paging_value(request.query.get(name), name)
    return default if value is None else value


def _select(task: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if fields is None:
        return task
    keep = set(_split(fields)) | {"id", "href", "@type", "@baseType"}
    return {k: v for k, v in task.items() if k in keep}
