"""The REST driver: canonical operations as TMF requests over real HTTP.

Each operation is the request a TMF client would send (DESIGN §3): creates
are ``POST {base}/{kind}Order``, transitions are ``PATCH`` of ``state`` (or of
one item's state), cancels are ``POST cancel{Kind}Order`` tasks, milestones
``POST {base}/{kind}Order/{id}/milestone``, bulk forms go through the
documented bulk extension, metadata through ``/tmf-api/ordergate/v1``.  Replies are read back into canonical form: the
error ``code`` of the TMF error body is the core error kind, orders are
translated back from TMF JSON and their ``version`` is the ``ETag``.

Events are observed as a TMF client observes them: the driver registers a hub
listener (as admin) on every API and reads the envelopes POSTed to it.

A kind the TMF APIs have no base path for cannot be addressed at all; the
driver refuses it the way the core does, with ``Kind.parse``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from adapters.rest.vocabulary import KINDS, TmfKind
from adapters.sql import tables as t
from core.domain.errors import OrderError
from core.domain.model import Kind
from ordergate.bootstrap import GATEWAY
from tests.conformance.driver import Reply, jeopardy_round
from tests.integration.rest.gateway import EventListener, RestGateway
from tests.integration.rest.gateway import Reply as HttpReply
from tests.integration.rest.translate import canonical, canonical_event, tmf_body, tmf_fields, tmf_filters

Args = dict[str, Any]
TRANSITIONS = {"startOrderByKey": "inProgress", "resumeOrderByKey": "inProgress", "suspendOrderByKey": "held"}


class Refused(Exception):
    """The profile answered with an error: its code is the canonical error kind."""

    def __init__(self, reply: HttpReply) -> None:
        super().__init__(reply.body)
        body = reply.body if isinstance(reply.body, dict) else {}
        self.kind = str(body.get("code", f"http{reply.status}"))


class RestDriver:
    name = "rest"
    # PATCH {"state": "inProgress"} is both start and resume: the profile cannot tell them apart
    alike = {"startOrderByKey": "resumeOrderByKey", "resumeOrderByKey": "startOrderByKey"}
    event_timeout = 10.0

    def __init__(self, gateway: RestGateway, listener: EventListener) -> None:
        self.gw = gateway
        self.listener = listener
        self.subscriptions: list[str] = []
        self._operations = self._table()

    async def subscribe(self) -> None:
        for tk in KINDS.values():
            reply = await self.gw.call(
                "admin", "POST", f"{tk.base_path}/hub", json={"callback": self.listener.url}
            )
            assert reply.status == 201, reply.body
            self.subscriptions.append(reply.body["href"].removeprefix(self.gw.url))

    async def unsubscribe(self) -> None:
        for path in self.subscriptions:
            await self.gw.call("admin", "DELETE", path)

    async def jeopardy_round(self) -> None:
        """One round of a jeopardy watch on the gateway's store, now (the clock's step)."""
        await jeopardy_round(self.gw.app[GATEWAY].store)

    async def _settled(self, seconds: float = 10.0) -> None:
        """Until every committed event left the outbox and every hub delivery was made: an
        order first named after it was created (a part, found by a query) has all its events
        counted before the next step, as the other drivers count them."""
        gw = self.gw.app[GATEWAY]
        ours = [path.rsplit("/", 1)[-1] for path in self.subscriptions]  # a shared database holds others'
        pending = (
            sa.select(sa.func.count())
            .select_from(t.hub_deliveries)
            .where(t.hub_deliveries.c.status == "pending", t.hub_deliveries.c.subscription_id.in_(ours))
        )
        async with asyncio.timeout(seconds):
            while True:
                if not await gw.store.unpublished(1):
                    async with gw.store.engine.connect() as conn:
                        if (await conn.execute(pending)).scalar_one() == 0:
                            return
                if gw.relay is not None:
                    gw.relay.wake()
                await asyncio.sleep(0.02)

    async def events(self, order_id: str) -> list[dict[str, Any]]:
        await self._settled()
        seen: set[str] = set()
        out = []
        for envelope in self.listener.events_for(order_id):
            if envelope["eventId"] not in seen:  # at least once: dedupe on the event id
                seen.add(envelope["eventId"])
                out.append(canonical_event(envelope))
        return out

    async def call(self, actor: str, operation: str, args: Args) -> Reply:
        try:
            handler = self._operations[operation]
            return Reply(result=await handler(actor, args))
        except Refused as e:
            return Reply(error=e.kind)
        except OrderError as e:  # a kind no TMF API addresses
            return Reply(error=e.kind)

    async def _send(self, actor: str, method: str, path: str, ok: int, **kwargs: Any) -> HttpReply:
        reply = await self.gw.call(actor, method, path, **kwargs)
        if reply.status != ok:
            raise Refused(reply)
        return reply

    @staticmethod
    def _tk(args: Args) -> TmfKind:
        return KINDS[Kind.parse(args["kind"])]

    @staticmethod
    def _if_match(args: Args) -> dict[str, str]:
        return {"If-Match": f'"{args["version"]}"'} if args.get("version") is not None else {}

    def _outcomes(self, tk: TmfKind, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for r in results:
            outcome: dict[str, Any] = {"index": r["index"], "id": r.get("id")}
            if "error" in r:
                outcome["error"] = r["error"]["code"]
            elif tk.resource in r:
                outcome["order"] = canonical(tk, r[tk.resource])
            out.append(outcome)
        return out

    async def _order(
        self, actor: str, tk: TmfKind, order_id: str, fields: str | None = None
    ) -> dict[str, Any]:
        query = f"?fields={fields}" if fields is not None else ""
        reply = await self._send(actor, "GET", f"{tk.collection_path}/{order_id}{query}", 200)
        return canonical(tk, reply.body, reply.headers.get("ETag"))

    async def _patch(self, actor: str, args: Args, body: dict[str, Any]) -> dict[str, Any]:
        tk = self._tk(args)
        url = f"{tk.collection_path}/{args['id']}"
        reply = await self._send(actor, "PATCH", url, 200, json=body, headers=self._if_match(args))
        return canonical(tk, reply.body, reply.headers.get("ETag"))

    def _table(self) -> dict[str, Callable[[str, Args], Awaitable[Any]]]:
        ops: dict[str, Callable[[str, Args], Awaitable[Any]]] = {
            "createOrderByValue": self._create,
            "createOrdersByValues": self._create_all,
            "tryCreateOrdersByValues": self._try_create,
            "checkOrderFeasibility": self._feasibility,
            "getOrderByKey": self._get,
            "getOrdersByKeys": self._get_all,
            "queryOrders": self._query,
            "setOrderByValue": lambda actor, a: self._patch(actor, a, tmf_body(self._tk(a), a["value"])),
            "trySetOrdersByValues": self._try_set,
            "tryStartOrdersByKeys": self._try_start,
            "abortOrderByKey": self._abort,
            "tryAbortOrdersByKeys": self._try_abort,
            "removeOrderByKey": self._remove,
            "tryRemoveOrdersByKeys": self._try_remove,
            "getOrderHistoryByKey": self._history,
            "changeOrderState": lambda actor, a: self._patch(
                actor, a, {"state": a["state"], "stateReason": a.get("reason")}
            ),
            "changeOrderItemState": lambda actor, a: self._patch(
                actor,
                a,
                {
                    self._tk(a).item_key: [
                        {"id": a["itemId"], "state": a["state"], "stateReason": a.get("reason")}
                    ]
                },
            ),
            "addOrderMilestone": self._milestone,
            "getOrderTypes": lambda actor, a: self._metadata(actor, "orderTypes"),
            "getSupportedOptionalOperations": lambda actor, a: self._metadata(actor, "optionalOperations"),
            "getQueryTypes": lambda actor, a: self._metadata(actor, "queryTypes"),
            "getEventTypes": lambda actor, a: self._metadata(actor, "eventTypes"),
            "makeOrderValue": self._template,
        }
        for operation, state in TRANSITIONS.items():
            ops[operation] = lambda actor, a, state=state: self._patch(
                actor, a, {"state": state, "stateReason": a.get("reason")}
            )
        return ops

    async def _create(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        reply = await self._send(actor, "POST", tk.collection_path, 201, json=tmf_body(tk, a["value"]))
        return canonical(tk, reply.body, reply.headers.get("ETag"))

    async def _create_all(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        body = [tmf_body(tk, v) for v in a["values"]]
        reply = await self._send(actor, "POST", f"{tk.collection_path}/bulk?mode=atomic", 201, json=body)
        return [canonical(tk, o) for o in reply.body]

    async def _try_create(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        body = [tmf_body(tk, v) for v in a["values"]]
        reply = await self._send(actor, "POST", f"{tk.collection_path}/bulk?mode=bestEffort", 200, json=body)
        return self._outcomes(tk, reply.body)

    async def _feasibility(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        reply = await self._send(
            actor, "POST", f"{tk.collection_path}?dryRun=true", 200, json=tmf_body(tk, a["value"])
        )
        items = [
            {"itemId": i["id"], "feasible": i["feasible"], "reasons": i["reasons"]}
            for i in reply.body[tk.item_key]
        ]
        return {"feasible": reply.body["feasible"], "reasons": reply.body["reasons"], "items": items}

    async def _get(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        fields = tmf_fields(tk, a["attributes"]) if a.get("attributes") else None
        return await self._order(actor, tk, a["id"], fields)

    async def _get_all(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        params = [("id", i) for i in a["ids"]]
        if a.get("attributes"):
            params.append(("fields", tmf_fields(tk, a["attributes"])))
        reply = await self._send(actor, "GET", f"{tk.collection_path}/bulk", 200, params=params)
        return [canonical(tk, o) for o in reply.body]

    async def _query(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        reply = await self._send(actor, "GET", tk.collection_path, 200, params=tmf_filters(tk, a))
        return {
            "orders": [canonical(tk, o) for o in reply.body],
            "total": int(reply.headers["X-Total-Count"]),
        }

    async def _try_set(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        body = [
            {"id": v["id"], **tmf_body(tk, {k: x for k, x in v.items() if k != "id"})} for v in a["values"]
        ]
        reply = await self._send(actor, "PATCH", f"{tk.collection_path}/bulk", 200, json=body)
        return self._outcomes(tk, reply.body)

    async def _try_start(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        body = [{"id": k, "state": "inProgress"} for k in a["ids"]]
        reply = await self._send(actor, "PATCH", f"{tk.collection_path}/bulk", 200, json=body)
        return self._outcomes(tk, reply.body)

    def _cancel_body(self, tk: TmfKind, order_id: str, reason: str | None) -> dict[str, Any]:
        return {tk.resource: {"id": order_id}} | (
            {"cancellationReason": reason} if reason is not None else {}
        )

    async def _abort(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        path = f"{tk.base_path}/{tk.cancel_resource}"
        body = self._cancel_body(tk, a["id"], a.get("reason"))
        await self._send(actor, "POST", path, 201, json=body, headers=self._if_match(a))
        return await self._order(actor, tk, a["id"])

    async def _try_abort(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        body = [self._cancel_body(tk, k, a.get("reason")) for k in a["ids"]]
        reply = await self._send(actor, "POST", f"{tk.base_path}/{tk.cancel_resource}/bulk", 200, json=body)
        out = []
        for key, r in zip(a["ids"], reply.body, strict=True):
            outcome: dict[str, Any] = {"index": r["index"], "id": key}
            if "error" in r:
                outcome["error"] = r["error"]["code"]
            else:  # the task names the order; read it the way a client would
                outcome["order"] = await self._order(actor, tk, r[tk.cancel_resource][tk.resource]["id"])
            out.append(outcome)
        return out

    async def _remove(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        await self._send(actor, "DELETE", f"{tk.collection_path}/{a['id']}", 204, headers=self._if_match(a))

    async def _try_remove(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        reply = await self._send(
            actor, "DELETE", f"{tk.collection_path}/bulk", 200, params=[("id", k) for k in a["ids"]]
        )
        return self._outcomes(tk, reply.body)

    async def _history(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        reply = await self._send(actor, "GET", f"{tk.collection_path}/{a['id']}/history", 200)
        keys = ("fromState", "toState", "itemId", "actor", "reason")
        return [{k: h.get(k) for k in keys} for h in reply.body]

    async def _milestone(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        path = f"{tk.collection_path}/{a['id']}/milestone"
        reply = await self._send(actor, "POST", path, 201, json=a["milestone"], headers=self._if_match(a))
        return canonical(tk, reply.body, reply.headers.get("ETag"))

    async def _metadata(self, actor: str, key: str) -> Any:
        return (await self._send(actor, "GET", "/tmf-api/ordergate/v1/metadata", 200)).body[key]

    async def _template(self, actor: str, a: Args) -> Any:
        tk = self._tk(a)
        params = {"orderType": a["orderType"]} if a.get("orderType") else {}
        reply = await self._send(
            actor, "GET", f"/tmf-api/ordergate/v1/orderTemplate/{tk.resource}", 200, params=params
        )
        return {"orderType": reply.body["@type"], "items": reply.body[tk.item_key]}
