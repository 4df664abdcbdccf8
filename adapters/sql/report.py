"""The provisioning report in SQL: one statement, no order read into Python.

The statement computes ``core.domain.report.report_rows`` where the orders
are.  ``picked`` holds, per order in scope (an index range of
``order_date``, in the book and in its archive), its outcome, whether it
is in jeopardy and its lead time;
``item`` walks its items, items inside items too (a recursive CTE over the
document's item lists: ``jsonb_array_elements`` on PostgreSQL, ``json_each``
on SQLite), carrying the order's facts along so that nothing joins back;
``tagged`` gives each order's distinct (specification, action) pairs;
``base`` stacks the three levels of the report (kind, specification,
resource specification and action) as rows of one table, so that one
``GROUP BY`` counts them all.

PostgreSQL takes the percentiles from ``percentile_cont``.  SQLite has no
such aggregate: the same continuous percentile is computed with window
functions (each lead time's rank in its group, the two ranks around
``p * (n - 1)``, interpolated), and its lead times are taken to the
microsecond from the stored text (SQLite's own date functions keep
milliseconds only).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import naive_utc
from core.domain.model import ItemAction, Kind
from core.domain.report import Figures, LeadTime, Level, Outcome, ReportRow, ReportScope, states_of


def _names(values: tuple[str, ...]) -> str:
    """A list of the code's own names (states, kinds) as SQL literals: never a client's text."""
    assert all(v.isalnum() for v in values), values
    return ", ".join(f"'{v}'" for v in values)


def _outcome_case() -> str:
    whens = " ".join(f"WHEN o.state IN ({_names(states_of(o))}) THEN '{o.value}'" for o in Outcome)
    return f"CASE {whens} END"


COMPLETED = _names(states_of(Outcome.COMPLETED))
OPEN = _names(states_of(Outcome.OPEN))
# Per database, over ``orders o``: the date an order is due (its expected completion date, else
# its requested one), comparable with ``:now``; and its lead time in seconds, when it has one.
DUE = {
    "postgresql": "coalesce((o.document->>'expectedCompletionDate')::timestamptz AT TIME ZONE 'UTC',"
    " o.requested_completion_date)",
    "sqlite": "julianday(coalesce(json_extract(o.document, '$.expectedCompletionDate'),"
    " o.requested_completion_date))",
}
NOW = {"postgresql": ":now", "sqlite": "julianday(:now)"}
LEAD = {
    "postgresql": "extract(epoch FROM o.completion_date - o.order_date)::float8",
    # to the microsecond from the stored text: SQLite's date functions keep milliseconds only
    "sqlite": "(round((julianday(substr(o.completion_date, 1, 19)) - julianday(substr(o.order_date, 1, 19)))"
    " * 86400.0) + (CAST(substr(o.completion_date, 21) AS REAL) - CAST(substr(o.order_date, 21) AS REAL)) / 1e6)",
}


# The orders in scope: the book's and the archive's (closed orders an operator moved there are
# still orders of the window); ``{where}`` is applied in each, where their indexes serve it.
_COLUMNS = "id, kind, client_id, state, order_date, requested_completion_date, completion_date, document"
BOOK = " UNION ALL ".join(
    f"SELECT {_COLUMNS} FROM {table} o WHERE {{where}}" for table in ("orders", "orders_archive")
)


def _picked(dialect: str, items: str) -> str:
    """Per order in scope: its outcome, whether it is late, its lead time, its item list."""
    return f"""
picked AS (
    SELECT o.id, o.kind, {_outcome_case()} AS outcome,
           o.state IN ({OPEN}) AND {DUE[dialect]} < {NOW[dialect]} AS late,
           CASE WHEN o.state IN ({COMPLETED}) AND o.completion_date IS NOT NULL
                THEN {LEAD[dialect]} END AS lead,
           {items} AS items
    FROM ({BOOK}) o
)"""


def _pg_tags(kind: str) -> str:
    """An item's (``e.value``) specification and action, and the items inside it: read once, as it is walked."""
    return (
        f"coalesce(e.value #>> '{{entity,specification,id}}',"
        f" CASE WHEN {kind} = 'productOrder' THEN e.value #>> '{{productOffering,id}}' END),"
        f" CASE WHEN {kind} = 'resourceOrder' THEN e.value->>'action' END,"
        " CASE WHEN e.value ? 'items' THEN e.value->'items' END"
    )


_POSTGRES_PICKED = (
    _picked("postgresql", "o.document->'items'")
    + f""",
item (id, kind, outcome, late, lead, spec, action, inner_items) AS (
    SELECT p.id, p.kind, p.outcome, p.late, p.lead, {_pg_tags("p.kind")}
    FROM picked p CROSS JOIN LATERAL jsonb_array_elements(p.items) e
    WHERE jsonb_typeof(p.items) = 'array'
    UNION ALL
    SELECT i.id, i.kind, i.outcome, i.late, i.lead, {_pg_tags("i.kind")}
    FROM item i CROSS JOIN LATERAL jsonb_array_elements(i.inner_items) e
    WHERE jsonb_typeof(i.inner_items) = 'array'
),
tagged AS (SELECT DISTINCT id, kind, outcome, late, lead, spec, action FROM item)"""
)

_SQLITE_PICKED = (
    _picked("sqlite", "json_extract(o.document, '$.items')")
    + """,
item (id, kind, outcome, late, lead, node) AS (
    SELECT p.id, p.kind, p.outcome, p.late, p.lead, e.value FROM picked p, json_each(p.items) e
    UNION ALL
    SELECT i.id, i.kind, i.outcome, i.late, i.lead, e.value FROM item i, json_each(i.node, '$.items') e
),
tagged AS (
    SELECT DISTINCT id, kind, outcome, late, lead,
           coalesce(json_extract(node, '$.entity.specification.id'),
                    CASE WHEN kind = 'productOrder' THEN json_extract(node, '$.productOffering.id') END)
               AS spec,
           CASE WHEN kind = 'resourceOrder' THEN json_extract(node, '$.action') END AS action
    FROM item
)"""
)

_BASE = """
base AS (
    SELECT 'kind' AS level, kind, NULL AS spec, NULL AS action, outcome, late, lead FROM picked
    UNION ALL
    SELECT 'specification', kind, spec, NULL, outcome, late, lead
    FROM (SELECT DISTINCT id, kind, outcome, late, lead, spec FROM tagged) per_spec
    UNION ALL
    SELECT 'action', kind, spec, action, outcome, late, lead FROM tagged WHERE action IS NOT NULL
)"""

_COUNTED = ("n_ordered", *(f"n_{o.value}" for o in Outcome), "n_late")
_COUNTS = ", ".join(
    ["count(*) AS n_ordered"]
    + [f"count(*) FILTER (WHERE outcome = '{o.value}') AS n_{o.value}" for o in Outcome]
    + ["count(*) FILTER (WHERE late) AS n_late"]
)
_GROUP = "level, kind, spec, action"

_POSTGRES = f"""
WITH RECURSIVE {_POSTGRES_PICKED}, {_BASE}
SELECT {_GROUP}, {_COUNTS},
       percentile_cont(0.5) WITHIN GROUP (ORDER BY lead),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY lead),
       max(lead)
FROM base GROUP BY {_GROUP}"""


def _rank_at(fraction: float, end: str) -> str:
    """The lead time at the lower (``end`` 'lo') or upper ('hi') rank around fraction * (n - 1)."""
    low = f"CAST({fraction} * (n - 1) AS INTEGER)"
    rank = low if end == "lo" else f"min({low} + 1, n - 1)"
    return f"max(CASE WHEN rn = {rank} THEN lead END)"


def _interpolated(fraction: float, name: str) -> str:
    position = f"{fraction} * (n - 1)"
    return f"{name}_lo + ({position} - CAST({position} AS INTEGER)) * ({name}_hi - {name}_lo)"


_SQLITE = f"""
WITH RECURSIVE {_SQLITE_PICKED}, {_BASE},
ranked AS (
    SELECT base.*,
           CASE WHEN lead IS NOT NULL THEN row_number() OVER (
               PARTITION BY {_GROUP} ORDER BY lead IS NULL, lead) - 1 END AS rn,
           count(lead) OVER (PARTITION BY {_GROUP}) AS n
    FROM base
),
grouped AS (
    SELECT {_GROUP}, {_COUNTS}, max(lead) AS longest, max(n) AS n,
           {_rank_at(0.5, "lo")} AS median_lo, {_rank_at(0.5, "hi")} AS median_hi,
           {_rank_at(0.9, "lo")} AS p90_lo, {_rank_at(0.9, "hi")} AS p90_hi
    FROM ranked GROUP BY {_GROUP}
)
SELECT {_GROUP}, {", ".join(_COUNTED)},
       {_interpolated(0.5, "median")}, {_interpolated(0.9, "p90")}, longest
FROM grouped"""


def statement(scope: ReportScope, sqlite: bool) -> tuple[str, dict[str, Any]]:
    where = [
        "o.order_date >= :start",
        "o.order_date < :end",
        f"o.kind IN ({_names(tuple(k.value for k in scope.kinds))})",
    ]
    params: dict[str, Any] = {
        "start": naive_utc(scope.start),
        "end": naive_utc(scope.end),
        "now": naive_utc(scope.now),
    }
    if scope.client_id is not None:
        where.append("o.client_id = :client")
        params["client"] = scope.client_id
    template = _SQLITE if sqlite else _POSTGRES
    return template.replace("{where}", " AND ".join(where)), params


def _row(values: tuple[Any, ...]) -> ReportRow:
    level, kind, spec, action = values[:4]
    ordered, completed, failed, cancelled, open_, late = (int(v) for v in values[4:10])
    median, p90, longest = values[-3:]
    lead = None if longest is None else LeadTime(float(median), float(p90), float(longest))
    figures = Figures(ordered, completed, failed, cancelled, open_, late, lead)
    return ReportRow(
        Kind(kind),
        Level(level),
        figures,
        None if spec is None else str(spec),
        None if action is None else ItemAction(action),
    )


# For this statement only (SET LOCAL: the transaction's, rolled back with it).  The planner cannot
# tell how many items an order holds, guesses a hundred per order, and so judges the statement
# costly enough to compile to machine code: with 100,000 orders that took longer than running it.
# Its sorts (the distinct specifications, the groups) hold a few hundred bytes per order.
POSTGRES_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'")
_TIMESTAMPS = {name: sa.DateTime() for name in ("start", "end", "now")}


async def provisioning_figures(engine: AsyncEngine, scope: ReportScope) -> list[ReportRow]:
    """``ProvisioningReportSource.provisioning_figures`` on either database."""
    sql, params = statement(scope, engine.dialect.name == "sqlite")
    typed = sa.text(sql).bindparams(*(sa.bindparam(n, type_=t) for n, t in _TIMESTAMPS.items()))
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            for setting in POSTGRES_SETTINGS:
                await conn.execute(sa.text(setting))
        result = await conn.execute(typed, params)
        return [_row(tuple(r)) for r in result]
