"""What the operations dashboard reads from the order book beyond the report and the metrics.

``SqlaDashboardFigures`` answers three questions in SQL, each a small
aggregate or a bounded list: creates and completions per hour since a time,
the lead times of completed orders counted into buckets, and the open orders
past their due date, oldest due first.  Due dates and lead times mean what
they mean in the provisioning report (``adapters.sql.report``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import naive_utc
from adapters.sql.report import BOOK, COMPLETED, DUE, LEAD, NOW, OPEN
from core.domain.model import Kind

_KINDS = ", ".join(f"'{k.value}'" for k in Kind)  # lets the (kind, state, ...) index serve "any kind"
_HOUR = {
    "postgresql": "date_trunc('hour', {column})",
    "sqlite": "strftime('%Y-%m-%d %H:00:00', {column})",
}
# the due date as stored (ISO text or the column), for the list
_DUE_SHOWN = {
    "postgresql": DUE["postgresql"],
    "sqlite": "coalesce(json_extract(o.document, '$.expectedCompletionDate'), o.requested_completion_date)",
}


@dataclass(frozen=True, slots=True)
class OverdueOrder:
    id: str
    kind: Kind
    state: str
    client_id: str
    due: datetime
    order_date: datetime | None


def _utc(value: Any) -> datetime | None:
    """A date as the driver gives it (a naive UTC datetime, or SQLite's text) in UTC."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_TIMESTAMPS = ("since", "now", "start", "end")


def _typed(sql: str) -> sa.TextClause:
    names = [n for n in _TIMESTAMPS if f":{n}" in sql]
    return sa.text(sql).bindparams(*(sa.bindparam(n, type_=sa.DateTime()) for n in names))


class SqlaDashboardFigures:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    async def _rows(self, sql: str, **params: Any) -> list[Sequence[Any]]:
        values = {k: naive_utc(v) if isinstance(v, datetime) else v for k, v in params.items()}
        async with self._engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(_typed(sql), values)]

    async def hourly_activity(self, since: datetime) -> tuple[dict[datetime, int], dict[datetime, int]]:
        """Orders created, and orders completed (partial too), per hour since ``since``."""
        out: list[dict[datetime, int]] = []
        for column, extra in (("order_date", ""), ("completion_date", f" AND o.state IN ({COMPLETED})")):
            hour = _HOUR[self._dialect].format(column=f"o.{column}")
            sql = f"SELECT {hour}, count(*) FROM orders o WHERE o.{column} >= :since{extra} GROUP BY 1"
            counts: dict[datetime, int] = {}
            for at, n in await self._rows(sql, since=since):
                if (when := _utc(at)) is not None:
                    counts[when] = int(n)
            out.append(counts)
        return out[0], out[1]

    async def lead_time_buckets(
        self, start: datetime, end: datetime, bounds: Sequence[float]
    ) -> dict[Kind, list[int]]:
        """Per kind, completed orders ordered in [start, end) by lead time: below ``bounds[0]``
        seconds, below ``bounds[1]`` ..., and at least the last bound (``len(bounds) + 1`` counts).
        Archived orders count, as in the report."""
        whens = " ".join(f"WHEN lead < {float(b)!r} THEN {i}" for i, b in enumerate(bounds))
        done = f"o.order_date >= :start AND o.order_date < :end AND o.state IN ({COMPLETED})"
        book = BOOK.replace("{where}", done + " AND o.completion_date IS NOT NULL")
        sql = f"""
            SELECT kind, CASE {whens} ELSE {len(bounds)} END AS bucket, count(*)
            FROM (SELECT o.kind, {LEAD[self._dialect]} AS lead FROM ({book}) o) done
            GROUP BY 1, 2"""
        out = {kind: [0] * (len(bounds) + 1) for kind in Kind}
        for kind, bucket, n in await self._rows(sql, start=start, end=end):
            out[Kind(kind)][int(bucket)] = int(n)
        return out

    async def overdue(self, now: datetime, limit: int) -> list[OverdueOrder]:
        """Open orders past their due date, the longest overdue first, at most ``limit``."""
        d = self._dialect
        sql = f"""
            SELECT o.id, o.kind, o.state, o.client_id, {_DUE_SHOWN[d]}, o.order_date FROM orders o
            WHERE o.kind IN ({_KINDS}) AND o.state IN ({OPEN}) AND {DUE[d]} < {NOW[d]}
            ORDER BY {DUE[d]}, o.id LIMIT {int(limit)}"""
        return [
            OverdueOrder(str(i), Kind(k), str(s), str(c), _utc(due) or now, _utc(ordered))
            for i, k, s, c, due, ordered in await self._rows(sql, now=now)
        ]
