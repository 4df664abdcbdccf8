"""The provisioning report on the in-memory store: what each figure counts, and who sees what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryOrderStore
from core.domain.errors import IllegalArgument
from core.domain.model import ItemAction, Kind
from core.domain.report import Figures, LeadTime, Level, lead_time_of, percentile_cont
from core.domain.states import State
from core.usecases import OrderManagement
from core.usecases.reporting import ProvisioningReportRequest, ReportProvisioning, provisioning_report_of
from tests.builders import ADMIN, ALICE, BOB, NOC, item

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def om(clock: Clock) -> OrderManagement:
    return OrderManagement(MemoryOrderStore(), clock=clock)


async def finish(om: OrderManagement, order_id: str, *states: State) -> None:
    """Start the order and give its items these states, in item order."""
    order = await om.start_order(ADMIN, None, order_id)
    for it, state in zip(order.items, states, strict=True):
        await om.change_order_item_state(NOC, None, order_id, it.id, state)


async def service_orders(om: OrderManagement, clock: Clock) -> None:
    """Five service orders at T0: two completed (100 s and 300 s), one failed, one open and late,
    one cancelled; bob's is the failed one."""
    a = await om.create_order(ALICE, Kind.SERVICE, {"items": [item("1", "fibre"), item("2", "router")]})
    b = await om.create_order(ALICE, Kind.SERVICE, {"items": [item("1", "fibre"), item("2", "fibre")]})
    c = await om.create_order(BOB, Kind.SERVICE, {"items": [item("1", "fibre")]})
    late = {"items": [item("1", "fibre")], "requestedCompletionDate": "2026-03-02T10:00:00Z"}
    d = await om.create_order(ALICE, Kind.SERVICE, late)
    e = await om.create_order(ALICE, Kind.SERVICE, {"items": [item("1", "fibre")]})
    await om.abort_order(ALICE, None, e.id)
    clock.at(100)
    await finish(om, a.id, State.COMPLETED, State.COMPLETED)
    clock.at(300)
    await finish(om, b.id, State.COMPLETED, State.COMPLETED)
    await finish(om, c.id, State.FAILED)
    await om.start_order(ALICE, None, d.id)
    clock.at(7200)


def window(kind: Kind | None = None) -> ProvisioningReportRequest:
    return ProvisioningReportRequest(kind, T0 - timedelta(hours=1), T0 + timedelta(hours=1))


async def test_a_kind_counts_each_order_once_by_its_state(om, clock):
    await service_orders(om, clock)
    report = await provisioning_report_of(om).execute(ADMIN, window(Kind.SERVICE))
    (service,) = report.kinds
    assert service.kind is Kind.SERVICE
    assert service.figures == Figures(
        ordered=5,
        completed=2,
        failed=1,
        cancelled=1,
        open=1,
        in_jeopardy=1,
        lead_time=LeadTime(200, 280, 300),
    )
    assert (report.start, report.end, report.generated_at) == (
        T0 - timedelta(hours=1),
        T0 + timedelta(hours=1),
        clock.now,
    )


async def test_a_specification_counts_the_orders_holding_an_item_of_it(om, clock):
    await service_orders(om, clock)
    (service,) = (await provisioning_report_of(om).execute(ADMIN, window(Kind.SERVICE))).kinds
    by_spec = {s.specification: s for s in service.specifications}
    assert list(by_spec) == ["fibre", "router"]
    assert by_spec["fibre"].figures == service.figures  # every order holds fibre (b twice: once)
    assert by_spec["router"].figures == Figures(ordered=1, completed=1, lead_time=LeadTime(100, 100, 100))
    assert by_spec["fibre"].actions == ()  # per action: resource orders only


async def test_a_client_sees_its_own_orders_and_a_fulfiller_every_clients(om, clock):
    await service_orders(om, clock)
    report = provisioning_report_of(om)
    (alices,) = (await report.execute(ALICE, window(Kind.SERVICE))).kinds
    (bobs,) = (await report.execute(BOB, window(Kind.SERVICE))).kinds
    (everyones,) = (await report.execute(NOC, window(Kind.SERVICE))).kinds
    assert (alices.figures.ordered, alices.figures.failed) == (4, 0)
    assert (bobs.figures.ordered, bobs.figures.failed) == (1, 1)
    assert everyones.figures.ordered == 5


async def test_the_window_is_on_the_order_date_from_inclusive_to_exclusive(om, clock):
    await service_orders(om, clock)
    report = provisioning_report_of(om)
    (at_start,) = (
        await report.execute(ADMIN, ProvisioningReportRequest(Kind.SERVICE, T0, T0 + timedelta(1)))
    ).kinds
    (before,) = (
        await report.execute(ADMIN, ProvisioningReportRequest(Kind.SERVICE, T0 - timedelta(1), T0))
    ).kinds
    assert at_start.figures.ordered == 5
    assert before.figures == Figures()
    assert before.specifications == ()


async def test_resource_orders_count_per_specification_and_action_partial_as_completed(om, clock):
    port = {"id": "p-7", "specification": {"id": "olt-port"}}
    value = {
        "items": [
            item("1", "olt-port"),
            {"id": "2", "action": "modify", "entity": port},
            {"id": "3", "action": "add", "entity": {"specification": {"id": "vlan"}}},
        ]
    }
    partial = await om.create_order(ALICE, Kind.RESOURCE, value)
    failed = await om.create_order(
        ALICE, Kind.RESOURCE, {"items": [{"id": "1", "action": "delete", "entity": port}]}
    )
    clock.at(60)
    await finish(om, partial.id, State.COMPLETED, State.COMPLETED, State.FAILED)
    await finish(om, failed.id, State.FAILED)
    (resource,) = (await provisioning_report_of(om).execute(ADMIN, window(Kind.RESOURCE))).kinds
    assert (resource.figures.ordered, resource.figures.completed, resource.figures.failed) == (2, 1, 1)
    specs = {s.specification: s for s in resource.specifications}
    assert specs["olt-port"].figures.ordered == 2
    actions = {a.action: a.figures for a in specs["olt-port"].actions}
    assert list(actions) == [ItemAction.ADD, ItemAction.MODIFY, ItemAction.DELETE]
    assert actions[ItemAction.ADD] == Figures(ordered=1, completed=1, lead_time=LeadTime(60, 60, 60))
    assert actions[ItemAction.DELETE] == Figures(ordered=1, failed=1)
    assert [a.action for a in specs["vlan"].actions] == [ItemAction.ADD]


async def test_product_items_without_a_specification_count_under_their_offering_or_none(om, clock):
    value = {
        "items": [
            {"id": "1", "action": "add", "productOffering": {"id": "fibre-broadband"}},
            {"id": "2", "action": "noChange", "entity": {"id": "existing-7"}},
            {
                "id": "3",
                "action": "add",
                "productOffering": {"id": "tv"},
                "entity": {"specification": {"id": "iptv"}},
            },
        ]
    }
    await om.create_order(ALICE, Kind.PRODUCT, value)
    (product,) = (await provisioning_report_of(om).execute(ADMIN, window(Kind.PRODUCT))).kinds
    assert [s.specification for s in product.specifications] == [None, "fibre-broadband", "iptv"]


async def test_items_inside_items_count_too(om, clock):
    bundle = {"id": "1", "action": "add", "entity": {"specification": {"id": "bundle"}}}
    bundle["items"] = [item("1.1", "fibre"), {**item("1.2", "voice"), "items": [item("1.2.1", "sip-trunk")]}]
    await om.create_order(ALICE, Kind.SERVICE, {"items": [bundle]})
    (service,) = (await provisioning_report_of(om).execute(ADMIN, window(Kind.SERVICE))).kinds
    assert [s.specification for s in service.specifications] == ["bundle", "fibre", "sip-trunk", "voice"]


async def test_every_kind_has_its_row_and_the_window_defaults_to_the_last_30_days(om, clock):
    report = await provisioning_report_of(om).execute(ALICE, ProvisioningReportRequest())
    assert [k.kind for k in report.kinds] == list(Kind)
    assert all(k.figures == Figures() for k in report.kinds)
    assert (report.start, report.end) == (T0 - timedelta(days=30), T0)


async def test_an_empty_window_is_refused(om):
    with pytest.raises(IllegalArgument, match="from must lie before to"):
        await provisioning_report_of(om).execute(ALICE, ProvisioningReportRequest(None, T0, T0))


async def test_lead_times_are_given_to_the_millisecond(clock):
    store = MemoryOrderStore()
    om = OrderManagement(store, clock=clock)
    for seconds in (1.0004, 2.0004, 4.0):
        clock.at(0)
        order = await om.create_order(ALICE, Kind.WORK, {"items": [item("1", "survey")]})
        clock.at(seconds)
        await finish(om, order.id, State.COMPLETED)
    report = await ReportProvisioning(store, clock).execute(ALICE, window(Kind.WORK))
    assert report.kinds[0].figures.lead_time == LeadTime(2.0, 3.6, 4.0)


def test_percentiles_interpolate_between_the_closest_ranks():
    assert percentile_cont([10.0], 0.9) == 10.0
    assert percentile_cont([0.0, 10.0], 0.5) == 5.0
    assert percentile_cont([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 0.9) == pytest.approx(
        10.0
    )
    assert lead_time_of([]) is None
    assert lead_time_of([3.0, 1.0, 2.0]) == LeadTime(2.0, pytest.approx(2.8), 3.0)


async def test_the_rows_come_flat_in_report_order(om, clock):
    await service_orders(om, clock)
    report = await provisioning_report_of(om).execute(ADMIN, window(Kind.SERVICE))
    assert [(r[0], r[1], r[2]) for r in report.rows()] == [
        (Kind.SERVICE, Level.KIND, None),
        (Kind.SERVICE, Level.SPECIFICATION, "fibre"),
        (Kind.SERVICE, Level.SPECIFICATION, "router"),
    ]
