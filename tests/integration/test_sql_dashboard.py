"""The dashboard's figures from the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.sql.dashboard import SqlaDashboardFigures
from core.document.render import iso
from core.domain.model import Kind
from core.domain.states import State
from core.usecases import OrderManagement
from tests.builders import ALICE, NOC, item

NOW = datetime(2026, 8, 3, 12, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Clock:
    now = NOW

    def __call__(self) -> datetime:
        return self.now


async def test_activity_buckets_and_the_overdue_list(sql_store):
    clock = Clock()
    om = OrderManagement(sql_store, clock=clock)

    async def order(at: datetime, kind: Kind = Kind.SERVICE, **value: object) -> str:
        clock.now = at
        return (await om.create_order(ALICE, kind, {"items": [item("1")], **value})).id

    async def complete(order_id: str, at: datetime) -> None:
        clock.now = at
        await om.start_order(ALICE, None, order_id)
        await om.change_order_item_state(NOC, None, order_id, "1", State.COMPLETED)

    quick = await order(NOW - 3 * HOUR)
    await complete(quick, NOW - 3 * HOUR + timedelta(minutes=10))
    slow = await order(NOW - 30 * HOUR, Kind.WORK)
    await complete(slow, NOW - 2 * HOUR)  # 28 h: the 1-to-3-days bucket, completed within the day
    late = await order(NOW - 5 * HOUR, requestedCompletionDate=iso(NOW - 2 * HOUR))
    later = await order(NOW - 4 * HOUR, Kind.RESOURCE, requestedCompletionDate=iso(NOW + HOUR))
    await om.set_order(
        NOC, None, later, {"expectedCompletionDate": iso(NOW - 4 * HOUR)}
    )  # the fulfiller's date wins
    await order(NOW - 1 * HOUR, requestedCompletionDate=iso(NOW + HOUR))  # not due yet
    figures = SqlaDashboardFigures(sql_store.engine)

    created, completed = await figures.hourly_activity(NOW - 24 * HOUR)
    hour = NOW.replace(minute=0)
    assert created == {hour - 3 * HOUR: 1, hour - 5 * HOUR: 1, hour - 4 * HOUR: 1, hour - HOUR: 1}
    assert completed == {hour - 3 * HOUR: 1, hour - 2 * HOUR: 1}

    buckets = await figures.lead_time_buckets(NOW - 48 * HOUR, NOW, [3600.0, 86400.0, 3 * 86400.0])
    assert buckets[Kind.SERVICE] == [1, 0, 0, 0]
    assert buckets[Kind.WORK] == [0, 0, 1, 0]
    assert buckets[Kind.PRODUCT] == [0, 0, 0, 0]

    overdue = await figures.overdue(NOW, 10)
    assert [(o.id, o.kind, o.state) for o in overdue] == [
        (later, Kind.RESOURCE, "acknowledged"),
        (late, Kind.SERVICE, "acknowledged"),
    ]
    assert [o.due for o in overdue] == [NOW - 4 * HOUR, NOW - 2 * HOUR]
    assert overdue[0].client_id == "alice"
    assert [o.id for o in await figures.overdue(NOW, 1)] == [later]
