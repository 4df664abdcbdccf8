"""Notification subscriptions: ``{base}/hub`` (TMF630 REST notification pattern).

``POST {base}/hub {callback, query, secret}`` -> 201; ``DELETE {base}/hub/{id}`` -> 204.
Extensions: ``GET {base}/hub`` lists the caller's subscriptions and
``GET {base}/hub/{id}`` shows one with its state (``suspended`` and why, when
its listener kept failing), its delivery counts and the deliveries that were
given up (``failed``).  A subscription belongs to its caller; a client is only
ever sent events about its own orders.  The callback must pass the address
rules of ``adapters.rest.callbacks``, and a client holds at most
``hub_max_subscriptions_per_client`` subscriptions (each one costs every
event's fan-out).  ``secret`` (optional) signs every delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from adapters.rest.auth import CALLER
from adapters.rest.body import read_json
from adapters.rest.callbacks import CallbackPolicy, CallbackRefused, Resolve, system_resolve
from adapters.rest.filters import event_filter
from adapters.rest.notifications import HubStore, StoredQuery
from adapters.rest.resources import base_url, only_parameters
from adapters.rest.settings import RestSettings
from adapters.rest.vocabulary import META, TmfKind
from core.domain.errors import IllegalArgument, IllegalAttributeValue, IllegalState, ObjectNotFound
from core.domain.model import Caller
from core.ports import Delivery, Subscription

SECRET_LENGTH = (16, 256)
FAILED_SHOWN = 100  # failed deliveries listed by GET {base}/hub/{id}, oldest first


async def _callback(policy: CallbackPolicy, raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise IllegalAttributeValue("callback", "is required")
    try:
        await policy.check(raw)
    except CallbackRefused as refused:
        raise IllegalAttributeValue("callback", refused.message) from None
    return raw


def _secret(raw: Any) -> str | None:
    low, high = SECRET_LENGTH
    if raw is None:
        return None
    if not isinstance(raw, str) or not low <= len(raw) <= high or not raw.isprintable():
        raise IllegalAttributeValue("secret", f"must be {low} to {high} printable characters")
    return raw


def _failed(delivery: Delivery) -> dict[str, Any]:
    return {
        "eventId": delivery.event_id,
        "orderId": delivery.order_id,
        "attempts": delivery.attempts,
        "lastError": delivery.last_error,
    }


class HubResource:
    def __init__(
        self, tk: TmfKind, store: HubStore, settings: RestSettings, resolve: Resolve = system_resolve
    ) -> None:
        self.tk = tk
        self.store = store
        self.settings = settings
        self.policy = CallbackPolicy(settings.hub_allowed_networks, resolve, settings.hub_timeout_seconds)

    def routes(self) -> list[web.RouteDef]:
        path = f"{self.tk.base_path}/hub"
        return [
            web.post(path, self.register),
            web.get(path, self.list),
            web.get(path + "/{id}", self.retrieve),
            web.delete(path + "/{id}", self.unregister),
        ]

    def render(self, request: web.Request, sub: Subscription) -> dict[str, Any]:
        out = {
            "id": sub.id,
            "href": f"{base_url(request, self.settings)}{self.tk.base_path}/hub/{sub.id}",
            "callback": sub.callback,
            "state": sub.state,
            "@type": "EventSubscription",
        }
        if sub.state_reason:
            out["stateReason"] = sub.state_reason
        query = StoredQuery.load(sub.query).query
        return out if query is None else out | {"query": query}

    async def _own(self, caller: Caller, subscription_id: str) -> Subscription:
        sub = await self.store.get_subscription(subscription_id)
        if (
            sub is None
            or sub.kind is not self.tk.kind
            or not (caller.is_admin or sub.client_id == caller.client_id)
        ):
            raise ObjectNotFound(f"no hub subscription {subscription_id!r}")
        return sub

    async def register(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        body = await read_json(request)
        if not isinstance(body, Mapping):
            raise IllegalArgument("a hub registration must be a JSON object")
        extra = sorted(set(body) - META - {"@type", "callback", "query", "secret"})
        if extra:
            raise IllegalArgument(f"unsupported attribute(s): {', '.join(extra)}")
        query = body.get("query")
        if query is not None and not isinstance(query, str):
            raise IllegalAttributeValue("query", "must be a string")
        event_filter(self.tk, query)  # refuse a query that could never be applied
        caller: Caller = request[CALLER]
        sub = Subscription(
            id=str(uuid.uuid4()),
            callback=await _callback(self.policy, body.get("callback")),
            client_id=caller.client_id,
            kind=self.tk.kind,
            query=StoredQuery(query or None, caller.sees_all_orders).dump(),
            secret=_secret(body.get("secret")),
        )
        cap = self.settings.hub_max_subscriptions_per_client
        if not await self.store.add_subscription(sub, cap):
            raise IllegalState(
                f"a client holds at most {cap} hub subscriptions (every API together); remove one first"
            )
        out = self.render(request, sub)
        return web.json_response(out, status=201, headers={"Location": out["href"]})

    async def list(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        caller: Caller = request[CALLER]
        subs = [
            self.render(request, s)
            for s in await self.store.subscriptions(self.tk.kind)
            if s.kind is self.tk.kind and (caller.is_admin or s.client_id == caller.client_id)
        ]
        return web.json_response(
            subs, headers={"X-Total-Count": str(len(subs)), "X-Result-Count": str(len(subs))}
        )

    async def retrieve(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        sub = await self._own(request[CALLER], request.match_info["id"])
        counts = await self.store.delivery_counts(sub.id)
        failed = await self.store.deliveries(sub.id, "failed", FAILED_SHOWN)
        out = self.render(request, sub) | {
            "deliveries": {s: counts.get(s, 0) for s in ("pending", "delivered", "failed")},
            "failedDeliveries": [_failed(d) for d in failed],
        }
        return web.json_response(out)

    async def unregister(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        sub = await self._own(request[CALLER], request.match_info["id"])
        if not await self.store.remove_subscription(sub.id, None):
            raise ObjectNotFound(f"no hub subscription {sub.id!r}")
        return web.Response(status=204)
