"""The conformance driver contract: one scenario file, run through every profile.

A driver carries canonical operations (the names of DESIGN §3) through one
profile and reports what came back in canonical form, so the runner can
compare profiles step by step.

* ``operation``: a canonical operation name — ``createOrderByValue``,
  ``createOrdersByValues``, ``tryCreateOrdersByValues``, ``checkOrderFeasibility``,
  ``getOrderByKey``, ``getOrdersByKeys``, ``queryOrders``, ``setOrderByValue``,
  ``trySetOrdersByValues``, ``startOrderByKey``, ``tryStartOrdersByKeys``,
  ``suspendOrderByKey``, ``resumeOrderByKey``, ``abortOrderByKey``,
  ``tryAbortOrdersByKeys``, ``removeOrderByKey``, ``tryRemoveOrdersByKeys``,
  ``getOrderHistoryByKey``, ``changeOrderState``, ``changeOrderItemState``, ``addOrderMilestone``,
  ``getOrderTypes``, ``getSupportedOptionalOperations``, ``getQueryTypes``,
  ``getEventTypes``, ``makeOrderValue``.
* ``args``: canonical arguments — ``kind`` (``productOrder`` ...), ``id``,
  ``ids``, ``value`` / ``values`` (canonical order documents, see
  ``core.document``), ``version``, ``state`` (canonical TMF state name),
  ``itemId``, ``reason``, ``criteria`` (list of ``[path, op, [values]]``),
  ``sort`` (list of paths, ``-path`` descending), ``offset``, ``limit``,
  ``attributes``, ``orderType``, ``milestone`` (``{"name", "status", "milestoneDate",
  "description", "message", "id"}``).  ``trySetOrdersByValues`` takes ``values``
  that each carry the ``id`` of the order they change.  ``kind`` is always
  given (the runner fills it in from the order's own kind).
* ``actor``: a scenario name — ``alice`` and ``bob`` are clients, ``noc`` is a
  fulfiller, ``admin`` an admin.  Each driver maps actors to its profile's
  credentials.

A ``Reply`` holds either ``result`` (canonical: an order document, a list of
documents, ``{"orders": [...], "total": n}`` for queries, a list of
``{"index", "id", "order"|"error"}`` for best-effort forms, a feasibility report
``{"feasible", "reasons", "items": [{"itemId", "feasible", "reasons"}]}``, a
history list ``[{"fromState", "toState", "itemId", "actor", "reason"}]``) or
``error``: a core error kind (``core.domain.errors``: ``illegalArgument``,
``illegalAttributeValue``, ``illegalState``, ``objectNotFound``,
``duplicateKey``, ``resyncRequired``, ``unsupportedOperation``,
``permissionDenied``, ``remote``), as the profile reported it.

``events(order_id)`` returns the events observed for that order so far, in
order, each ``{"eventId", "type", "state", "previousState", "itemChanges"}``
with canonical type names (``OrderCreate`` ...), canonical states, and
``itemChanges`` a list of ``{"itemId", "previousState", "state"}``; events
delivered twice (at least once) appear once.  A driver whose events arrive
asynchronously returns what has arrived: the runner polls until the step's
expected events are there or ``event_timeout`` seconds passed.

Optional driver attributes, read with ``getattr``:

* ``event_timeout`` (float, default 5): how long to wait for a step's events.
* ``outage`` (an async context manager factory): inside it the gateway cannot
  reach its database; set by the tests that run the outage scenarios.
* ``alike`` (``{operation: operation}``): operations this profile carries as
  one and the same request, so it cannot tell them apart (REST: start and
  resume are both ``PATCH {"state": "inProgress"}``).  The runner then leaves
  out an illegal-transition step whose twin is legal in that state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

ACTORS = {
    "alice": ("client",),
    "bob": ("client",),
    "noc": ("fulfiller",),
    "admin": ("admin", "client", "fulfiller"),
}


@dataclass(frozen=True)
class Reply:
    result: Any = None
    error: str | None = None


class Driver(Protocol):
    name: str

    async def call(self, actor: str, operation: str, args: dict[str, Any]) -> Reply: ...

    async def events(self, order_id: str) -> list[dict[str, Any]]: ...


class _Granted:
    """A lease always granted: the clock's round runs whoever holds the gateway's own watch."""

    async def acquire_lease(self, name: str, holder: str, seconds: float) -> bool:
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        return None


async def jeopardy_round(store: Any) -> int:
    """One round of a jeopardy watch on ``store`` now (the clock's step in a scenario): its alerts
    are committed with their events like any change, and leave through the gateway's outbox."""
    from core.usecases.jeopardy import JeopardyWatch

    return await JeopardyWatch(store, _Granted()).run_once()  # type: ignore[arg-type]
