"""getProvisioningReport gives the same figures in every profile for the same orders.

One gateway serves every profile (``all_profiles``); a client's orders of
every kind are brought to every outcome (completed in part, failed, rejected,
cancelled, open and late) through the core, and the client asks for the report
through the core, REST (JSON and CSV), XML over AMQP and SOAP.  Each answer is
read into one canonical form and all must be equal, to the millisecond of
every lead time.  Another client's orders are in none of them.

The run is also recorded as a conformance trace, so the coverage check of
``test_profiles_agree`` counts the operation as run in each profile suite of
the session.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from zeep.helpers import serialize_object

from adapters.rest.report import PATH
from core.domain.model import Caller, Kind, Role
from core.domain.states import State
from core.usecases import OrderManagement
from core.usecases.reporting import ProvisioningReport, ProvisioningReportRequest, provisioning_report_of
from tests.amqp_broker import Requester, request_body
from tests.amqp_gateway import ROLES, broker_users, throwaway_vhost, user_of
from tests.conformance import runner, traces
from tests.conformance.all_profiles import Profiles, one_gateway
from tests.conformance.runner import TraceEntry

pytestmark = pytest.mark.rabbitmq

OPERATION = "getProvisioningReport"
PROFILE_MODULES = {f"test_{p}_profile.py": p for p in traces.PROFILES}
_NS = {"om": "urn:ordergate:xml:om:v1"}
COUNTS = ("ordered", "completed", "failed", "cancelled", "open", "inJeopardy")

# canonical form: kind -> (figures, {specification -> (figures, {action -> figures})}),
# figures = (six counts, (median, p90, max) or None) with lead times in milliseconds
Figures = tuple[tuple[int, ...], tuple[int, ...] | None]
Canonical = dict[str, tuple[Figures, dict[str | None, tuple[Figures, dict[str, Figures]]]]]


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the tests a vhost of their own")
    with throwaway_vhost() as name:
        yield name


@pytest.fixture(scope="module")
def actor_urls(vhost: str) -> Iterator[dict[str, str]]:
    with broker_users(vhost, ROLES) as urls:
        yield urls


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    # client ids are unique per gateway, so the shared PostgreSQL database needs no emptying
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def profiles(
    database_url: str, vhost: str, actor_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[Profiles]:
    async with one_gateway(database_url, vhost, actor_urls, tmp_path) as p:
        yield p


# ------------------------------------------------------------------ the orders


def _items(*specs: str, action: str = "add") -> dict[str, Any]:
    return {
        "items": [
            {"id": str(n), "action": action, "entity": {"specification": {"id": spec}}}
            for n, spec in enumerate(specs, start=1)
        ]
    }


async def _book(om: OrderManagement, client: Caller, noc: Caller) -> None:
    """Orders of every kind at every outcome; a partial resource order with several actions."""

    async def finish(order_id: str, *states: State) -> None:
        order = await om.start_order(client, None, order_id)
        for item, state in zip(order.items, states, strict=True):
            await om.change_order_item_state(noc, None, order_id, item.id, state)

    for kind in Kind:
        done = await om.create_order(client, kind, _items("fibre", "router"))
        await finish(done.id, State.COMPLETED, State.COMPLETED)
        failed = await om.create_order(client, kind, _items("fibre"))
        await finish(failed.id, State.FAILED)
        await om.create_order(
            client, kind, {"items": [{"id": "1", "action": "add", "entity": {}}]}
        )  # rejected
        cancelled = await om.create_order(client, kind, _items("router"))
        await om.abort_order(client, None, cancelled.id)
        await om.create_order(
            client, kind, {**_items("fibre"), "requestedCompletionDate": "2020-01-01T00:00:00Z"}
        )
    port = {"id": "p-1", "specification": {"id": "olt-port"}}
    value = _items("olt-port")
    value["items"] += [
        {"id": "2", "action": "modify", "entity": port},
        {"id": "3", "action": "delete", "entity": port},
    ]
    partial = await om.create_order(client, Kind.RESOURCE, value)
    await finish(partial.id, State.COMPLETED, State.COMPLETED, State.FAILED)


# ------------------------------------------------------------------ each profile's answer, canonical


def _ms(value: Any) -> int:
    return int((Decimal(str(value)) * 1000).to_integral_value())


def _lead(median: Any, p90: Any, longest: Any) -> tuple[int, ...]:
    return (_ms(median), _ms(p90), _ms(longest))


def from_core(report: ProvisioningReport) -> Canonical:
    def figures(f: Any) -> Figures:
        counts = (f.ordered, f.completed, f.failed, f.cancelled, f.open, f.in_jeopardy)
        lt = f.lead_time
        return counts, None if lt is None else _lead(lt.median, lt.p90, lt.max)

    return {
        k.kind.value: (
            figures(k.figures),
            {
                s.specification: (figures(s.figures), {a.action.value: figures(a.figures) for a in s.actions})
                for s in k.specifications
            },
        )
        for k in report.kinds
    }


def from_json(body: dict[str, Any]) -> Canonical:
    def figures(f: dict[str, Any]) -> Figures:
        lt = f["leadTime"]
        return tuple(f[c] for c in COUNTS), None if lt is None else _lead(lt["median"], lt["p90"], lt["max"])

    return {
        k["kind"]: (
            figures(k),
            {
                s["specification"]: (figures(s), {a["action"]: figures(a) for a in s.get("actions", [])})
                for s in k["specifications"]
            },
        )
        for k in body["kinds"]
    }


def from_csv(text: str) -> Canonical:
    rows = list(csv.DictReader(io.StringIO(text)))
    out: Canonical = {}

    def figures(r: dict[str, str]) -> Figures:
        times = [r[f"leadTime{n}Seconds"] for n in ("Median", "P90", "Max")]
        return tuple(int(r[c]) for c in COUNTS), None if not times[0] else _lead(*times)

    for r in rows:
        spec = r["specification"] or None
        if r["level"] == "kind":
            out[r["kind"]] = (figures(r), {})
        elif r["level"] == "specification":
            out[r["kind"]][1][spec] = (figures(r), {})
        else:
            out[r["kind"]][1][spec][1][r["action"]] = figures(r)
    return out


def from_xml(root: etree._Element) -> Canonical:
    def figures(parent: etree._Element) -> Figures:
        f = parent.find("om:figures", _NS)
        counts = tuple(int(f.findtext(f"om:{c}", namespaces=_NS)) for c in COUNTS)
        lt = f.find("om:leadTime", _NS)
        return counts, None if lt is None else _lead(
            *(lt.findtext(f"om:{n}", namespaces=_NS) for n in ("median", "p90", "max"))
        )

    return {
        k.findtext("om:kind", namespaces=_NS): (
            figures(k),
            {
                s.findtext("om:specification", namespaces=_NS): (
                    figures(s),
                    {
                        a.findtext("om:action", namespaces=_NS): figures(a)
                        for a in s.findall("om:actionReport", _NS)
                    },
                )
                for s in k.findall("om:specificationReport", _NS)
            },
        )
        for k in root.findall("om:kindReport", _NS)
    }


def from_zeep(answer: Any) -> Canonical:
    def figures(f: dict[str, Any]) -> Figures:
        lt = f["leadTime"]
        return tuple(f[c] for c in COUNTS), None if lt is None else _lead(lt["median"], lt["p90"], lt["max"])

    body = serialize_object(answer, dict)
    return {
        k["kind"]: (
            figures(k["figures"]),
            {
                s["specification"]: (
                    figures(s["figures"]),
                    {a["action"]: figures(a["figures"]) for a in s["actionReport"] or []},
                )
                for s in k["specificationReport"] or []
            },
        )
        for k in body["kindReport"]
    }


# ------------------------------------------------------------------ the test


def _record(request: pytest.FixtureRequest, ran_in: list[str], database: str) -> None:
    """A conformance trace per profile suite of the session (see the module's description)."""
    suites = {PROFILE_MODULES[i.path.name] for i in request.session.items if i.path.name in PROFILE_MODULES}
    entry = TraceEntry(1, f"alice {OPERATION}", None, {}, {}, OPERATION)
    runs = [(p, [entry]) for p in traces.PROFILES if p in suites and p in ran_in]
    if runs:
        runner.TRACES[f"provisioning report ({database})"] = runs


async def test_the_report_has_the_same_figures_whatever_carries_it(
    profiles, actor_urls, database_url, request
):
    p = profiles
    om = p.amqp.gateway.orders
    ids = p.rest.gw.client_ids
    alice, bob = Caller(ids["alice"]), Caller(ids["bob"])
    noc = Caller(ids["noc"], frozenset({Role.FULFILLER}))
    start = datetime.now(UTC) - timedelta(minutes=1)
    await _book(om, alice, noc)
    await _book(om, bob, noc)  # never in alice's report
    end = datetime.now(UTC) + timedelta(hours=1)
    when = {"from": start.isoformat(), "to": end.isoformat()}

    core = from_core(
        await provisioning_report_of(om).execute(alice, ProvisioningReportRequest(None, start, end))
    )
    json_reply = await p.rest.gw.call("alice", "GET", PATH, params=when)
    assert json_reply.status == 200, json_reply.body
    headers = {**p.rest.gw.auth("alice"), "Accept": "text/csv"}
    async with p.rest.gw.session.get(p.rest.gw.url + PATH, params=when, headers=headers) as r:
        assert r.status == 200
        csv_text = await r.text()
    requester = await Requester(actor_urls["alice"], p.amqp.gateway.schema).open()
    try:
        inner = "".join(f"<{k}>{v}</{k}>" for k, v in when.items())
        key = await requester.send(request_body(OPERATION, inner), user_id=user_of(actor_urls["alice"]))
        (xml_reply,) = await requester.wait(key)
    finally:
        await requester.close()
    assert xml_reply.name == f"{OPERATION}Response"
    soap_answer = await p.soap.gateway.call("alice", OPERATION, **{"from": start, "to": end})

    assert core["resourceOrder"][0] == ((6, 2, 2, 1, 1, 1), core["resourceOrder"][0][1])
    assert set(core["productOrder"][1]) == {None, "fibre", "router"}
    assert set(core["resourceOrder"][1]["olt-port"][1]) == {"add", "modify", "delete"}
    assert from_json(json_reply.body) == core
    assert from_csv(csv_text) == core
    assert from_xml(xml_reply.root) == core
    assert from_zeep(soap_answer) == core
    _record(request, ["core", "rest", "amqp", "soap"], request.node.callspec.params["database_url"])
