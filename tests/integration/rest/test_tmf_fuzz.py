"""Schemathesis against the four official TMF files: no input makes the gateway answer 5xx,
and every answer conforms to the response schema the TMF file declares for it.

Requests are generated from the official operations; only array lengths are
capped at one element for generation (the TMF order schemas nest arrays of
recursive types, and unbounded generation takes minutes per operation).
Responses are validated against the unmodified official operations, except
answers to a ``fields`` selection: TMF630 partial representations leave out
attributes the full schema requires (``productOrderItem``), by design.  Each
generated request naming an order id is sent twice: as generated, and aimed
at a real order, so the happy paths are fuzzed as well as the 404s.
"""

from __future__ import annotations

import asyncio
import copy
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings

from adapters.rest.openapi import tmf_spec
from adapters.rest.vocabulary import TmfKind
from ordergate.bootstrap import build_app
from ordergate.settings import GatewaySettings
from tests.integration.rest.gateway import free_socket
from tests.integration.rest.tmf import ALL_KINDS, order_body, quiet_import

schemathesis = quiet_import("schemathesis")
GenerationMode = schemathesis.GenerationMode
not_a_server_error = quiet_import("schemathesis.checks").not_a_server_error
response_schema_conformance = quiet_import("schemathesis.specs.openapi.checks").response_schema_conformance
EXAMPLES = 4
CHECKS = [not_a_server_error, response_schema_conformance]


class ThreadedGateway:
    """The real application on a loopback port, in a thread of its own (schemathesis calls are blocking)."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._loop = asyncio.new_event_loop()
        self._ready: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="fuzzed-gateway", daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            sock = free_socket()
            settings = GatewaySettings(database_url=self._database_url, port=sock.getsockname()[1])
            self._runner = web.AppRunner(build_app(settings))
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.SockSite(self._runner, sock).start())
            self._ready.put(f"http://127.0.0.1:{sock.getsockname()[1]}")
        except Exception as e:  # surface start-up failures in the test, not in a dead thread
            self._ready.put(e)
            return
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        sock.close()
        self._loop.close()

    def __enter__(self) -> ThreadedGateway:
        self._thread.start()
        ready = self._ready.get(timeout=60)
        if isinstance(ready, Exception):
            raise ready
        self.url = str(ready)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)


@pytest.fixture
def gateway(sqlite_url: str) -> Iterator[ThreadedGateway]:
    with ThreadedGateway(sqlite_url) as served:
        yield served


def _capped(spec: dict[str, Any]) -> dict[str, Any]:
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


def _operations(tk: TmfKind) -> Iterator[tuple[Any, Any]]:
    """(operation to generate from, official operation to validate with), listener paths left out."""
    official = schemathesis.openapi.from_dict(tmf_spec(tk))
    by_key = {(op.method, op.path): op for op in (r.ok() for r in official.get_all_operations())}
    for result in schemathesis.openapi.from_dict(_capped(tmf_spec(tk))).get_all_operations():
        op = result.ok()
        if not op.path.startswith("/listener/"):
            yield op, by_key[(op.method, op.path)]


def _only_path_parameters(op: Any) -> bool:
    """Nothing but string path parameters: negative generation has nothing to break."""
    return all(p.get("in") == "path" for p in op.definition.raw.get("parameters", []))


def _seed(base: str, tk: TmfKind) -> str:
    import requests

    reply = requests.post(f"{base}{tk.collection_path}", json=order_body(tk), timeout=10)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def _fuzzer(
    generated: Any, official: Any, mode: GenerationMode, gateway: ThreadedGateway, tk: TmfKind
) -> Any:
    """A hypothesis test sending generated requests; returns (runs, failures) through the list it fills."""
    failures: list[str] = []
    base = gateway.url + tk.base_path

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=generated.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        targets = [case.path_parameters or {}]
        if case.path_parameters and "id" in case.path_parameters and "cancel" not in case.path:
            targets.append({**case.path_parameters, "id": _seed(gateway.url, tk)})
        for path_parameters in targets:
            sent = official.Case(
                method=case.method,
                path_parameters=path_parameters,
                headers=case.headers,
                query=case.query,
                body=case.body,
                media_type=case.media_type,
            )
            checks = [not_a_server_error] if (case.query or {}).get("fields", "").strip() else CHECKS
            try:
                sent.call_and_validate(base_url=base, checks=checks)
            except BaseException as e:  # schemathesis reports check failures as exception groups
                failures.append(f"{case.method} {case.path} ({mode.value}): {str(e)[:600]}")

    fuzz()
    return failures


# spyne (the SOAP profile, wired into the same application) registers six's importer, which
# warns when schemathesis imports lazily during a call
@pytest.mark.filterwarnings("ignore:_SixMetaPathImporter.find_spec:ImportWarning")
@pytest.mark.parametrize("tk", ALL_KINDS, ids=lambda tk: tk.api)
def test_no_input_answers_5xx_and_every_answer_conforms(gateway: ThreadedGateway, tk: TmfKind):
    failures: list[str] = []
    for generated, official in _operations(tk):
        modes = [GenerationMode.POSITIVE]
        if not _only_path_parameters(generated):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            failures += _fuzzer(generated, official, mode, gateway, tk)
    assert not failures, "\n".join(failures[:5])
