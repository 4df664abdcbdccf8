"""Sending schemathesis' requests to the gateway and judging the answers (shared by both REST fuzzers).

Requests are generated from a copy of the document whose arrays are capped at
one element (the TMF order schemas nest arrays of recursive types: unbounded
generation takes minutes per operation); answers are validated against the
document as served.  A generated request naming a resource id is sent twice:
as generated, and aimed at a real order, cancel task or hub subscription
(made for it), so the happy paths are fuzzed as well as the 404s.

Every answer is judged:

* never a 5xx, and an answer within ``REQUEST_SECONDS``;
* its body conforms to the schema documented for its status (except under
  ``fields``: a TMF630 partial representation leaves out attributes the full
  schema requires, by design);
* a refused write (4xx to POST, PATCH, DELETE) changed nothing: every
  order's version and every hub subscription are as before.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import requests

from adapters.rest.vocabulary import KINDS, TmfKind
from tests.fuzz.budget import REQUEST_SECONDS
from tests.fuzz.served import ThreadedGateway
from tests.integration.rest.tmf import order_body, quiet_import

WRITES = frozenset({"POST", "PATCH", "DELETE", "PUT"})
# the hub's seeded subscriptions call a closed loopback port (allowed for them alone)
SEED_CALLBACK = "http://127.0.0.1:9/listener"
HUB_NETWORKS = "127.0.0.1/32"


def capped(spec: dict[str, Any]) -> dict[str, Any]:
    """The document with every array of its definitions capped at one element, for generation."""
    capped = copy.deepcopy(spec)
    stack: list[Any] = [capped["definitions"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "array":
                node["maxItems"] = 1
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return capped


def has_mutable_parameters(operation: dict[str, Any]) -> bool:
    """Anything but string path parameters: negative generation has something to break."""
    return any(p.get("in") != "path" for p in operation.get("parameters", []))


def cases(paths: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(method, path, mode, operationId) of every operation to fuzz: positive always, negative where
    a parameter can be made wrong; the listener paths are the client's, not the gateway's."""
    for path, operations in paths.items():
        if path.startswith("/listener/"):
            continue
        for method, operation in operations.items():
            for mode in ("positive", "negative"):
                if mode == "positive" or has_mutable_parameters(operation):
                    yield method.upper(), path, mode, operation["operationId"]


def kind_of(path: str) -> TmfKind | None:
    return next((tk for tk in KINDS.values() if path.startswith(tk.base_path)), None)


def _created(reply: requests.Response, what: str) -> str:
    assert reply.status_code == 201, f"seeding {what}: {reply.status_code} {reply.text[:300]}"
    return str(reply.json()["id"])


def seed_order(base: str, tk: TmfKind) -> str:
    reply = requests.post(f"{base}{tk.collection_path}", json=order_body(tk), timeout=REQUEST_SECONDS)
    return _created(reply, "an order")


def seed_target(base: str, path: str) -> str | None:
    """A real resource for a path naming an id (full path template), or None: nothing to aim at."""
    tk = kind_of(path)
    if tk is None or "{id}" not in path:
        return None
    if path.startswith(f"{tk.base_path}/hub/"):
        body = {"callback": SEED_CALLBACK}
        return _created(requests.post(f"{base}{tk.base_path}/hub", json=body, timeout=REQUEST_SECONDS), "hub")
    if path.startswith(f"{tk.base_path}/{tk.cancel_resource}/"):
        body = {tk.resource: {"id": seed_order(base, tk)}}
        url = f"{base}{tk.base_path}/{tk.cancel_resource}"
        return _created(requests.post(url, json=body, timeout=REQUEST_SECONDS), "a cancel task")
    return seed_order(base, tk)


def _checks() -> tuple[list[Any], list[Any]]:
    """(every check, the checks for a partial representation)."""
    not_a_server_error = quiet_import("schemathesis.checks").not_a_server_error
    conformance = quiet_import("schemathesis.specs.openapi.checks").response_schema_conformance
    return [not_a_server_error, conformance], [not_a_server_error]


def send(
    gateway: ThreadedGateway,
    case: Any,
    validating: Any,
    base_url: str,
    full_path: str,
) -> None:
    """Send ``case`` (generated) as generated and, when it names an id, aimed at a real resource;
    judge every answer with ``validating`` (the operation as documented)."""
    checks, partial = _checks()
    targets = [case.path_parameters or {}]
    if case.path_parameters and "id" in case.path_parameters:
        real = seed_target(gateway.url, full_path)
        if real is not None:
            targets.append({**case.path_parameters, "id": real})
    for path_parameters in targets:
        sent = validating.Case(
            method=case.method,
            path_parameters=path_parameters,
            headers=case.headers,
            query=case.query,
            body=case.body,
            media_type=case.media_type,
        )
        write = case.method.upper() in WRITES
        before = gateway.book() if write else None
        response = sent.call(base_url=base_url, timeout=REQUEST_SECONDS)
        # any fields parameter, even an empty one, asks for a partial representation
        selected = "fields" in (case.query or {})
        sent.validate_response(response, checks=partial if selected else checks)
        if before is not None and 400 <= response.status_code < 500:
            changed = gateway.book().changes_since(before)
            assert not changed, (
                f"{case.method} {sent.formatted_path} was refused ({response.status_code}"
                f" {response.text[:300]}) but changed {changed[:5]}"
            )
