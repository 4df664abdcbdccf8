"""Order queries on SQL.

Criteria on indexed columns run on those columns.  On PostgreSQL every other
criterion runs in SQL too, on the stored document (JSONB): an equality as
containment (``document @> {"items": [{"productOffering": {"id": "14277"}}]}``),
which the GIN index on the document serves, a comparison as a JSON path
(``$.items.quantity ? (@ > $v)``); sorting on attributes without a column
sorts on the document's value.  Nothing is read into Python to be filtered.
The embedded SQLite store evaluates those criteria on the candidate documents
with the core's reference ``matches`` instead.

A page is one statement (``adapters.sql.pages``): the sort always ends with
``id``, so a keyset position (``OrderQuery.after``) names one place and the
page after it is a range of an index however deep it is; the statement
returns each order's sort values, so the page's last position comes with it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc
from adapters.sql.pages import Found, count_matches, fetch_page, filter_in_python, page_statement
from core.document.fields import DATE_FIELDS
from core.document.parse import parse_date
from core.document.paths import Leaf, walk
from core.domain.errors import IllegalAttributeValue
from core.domain.query import Criterion, Op, OrderQuery, SortKey, comparable, sort_keys

__all__ = ["COLUMNS", "Found", "Statements", "run_query", "statements"]

COLUMNS: dict[str, str] = {
    "id": "id",
    "kind": "kind",
    "clientId": "client_id",
    "state": "state",
    "orderType": "order_type",
    "externalId": "external_id",
    "priority": "priority",
    "version": "version",
    "orderDate": "order_date",
    "requestedStartDate": "requested_start_date",
    "requestedCompletionDate": "requested_completion_date",
    "completionDate": "completion_date",
}
_DATE_COLUMNS = frozenset({"orderDate", "requestedStartDate", "requestedCompletionDate", "completionDate"})
_ORDERED_OPS = {Op.GT: "__gt__", Op.GTE: "__ge__", Op.LT: "__lt__", Op.LTE: "__le__"}
_JSONPATH_OPS = {Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}


def table_of(q: OrderQuery) -> sa.Table:
    """The order book, or the archive of closed orders."""
    return t.orders_archive if q.archived else t.orders


def _column_clause(tbl: sa.Table, c: Criterion) -> sa.ColumnElement[bool]:
    col = tbl.c[COLUMNS[c.path]]
    values = [comparable(c.path, v) for v in c.values]
    values = [naive_utc(v) if hasattr(v, "tzinfo") else v for v in values]
    if c.op is Op.EQ:
        return col.in_(values)
    if c.op is Op.NE:
        return sa.or_(col.is_(None), col.not_in(values))
    result: sa.ColumnElement[bool] = getattr(col, _ORDERED_OPS[c.op])(values[0])
    return result


def _json_values(leaf: Leaf, path: str, raw: str) -> list[Any]:
    """The JSON values a filter's text stands for (a free value: the text, or the number it spells)."""
    if leaf is not Leaf.ANY:
        value = comparable(path, raw, leaf)
        return [value.isoformat() if hasattr(value, "isoformat") else value]
    out: list[Any] = [raw]
    with contextlib.suppress(ValueError):
        out.append(int(raw) if raw.lstrip("-").isdigit() else float(raw))
    if raw in ("true", "false"):
        out.append(raw == "true")
    return out


def _nested(parts: list[str], lists: tuple[bool, ...], value: Any) -> Any:
    """``{"items": [{"productOffering": {"id": v}}]}``: what a document containing ``value`` there holds."""
    for part, is_list in zip(reversed(parts), reversed(lists), strict=True):
        value = {part: [value] if is_list else value}
    return value


def _jsonpath(parts: list[str]) -> str:
    return "$" + "".join(f".{json.dumps(p)}" for p in parts)


def _typed_date(doc: sa.ColumnElement[Any], c: Criterion) -> sa.ColumnElement[bool]:
    """A date the gateway keeps in the document only (startDate ...): compared as a timestamp."""
    stamp = sa.cast(doc[c.path].as_string(), sa.DateTime(timezone=True))
    values = [comparable(c.path, v) for v in c.values]
    if c.op is Op.EQ:
        return stamp.in_(values)
    if c.op is Op.NE:
        return sa.or_(stamp.is_(None), stamp.not_in(values))
    result: sa.ColumnElement[bool] = getattr(stamp, _ORDERED_OPS[c.op])(values[0])
    return result


def _document_clause(tbl: sa.Table, c: Criterion) -> sa.ColumnElement[bool]:
    doc = tbl.c.document
    found = walk(c.kind, c.path)
    assert found is not None  # the criterion checked its path
    leaf, lists = found
    if c.path in DATE_FIELDS:
        return _typed_date(doc, c)
    parts = c.path.split(".")
    if c.op in (Op.EQ, Op.NE):
        wanted = [v for raw in c.values for v in _json_values(leaf, c.path, raw)]
        contains = doc.op("@>", return_type=sa.Boolean)
        clause = sa.or_(*(contains(sa.cast(_nested(parts, lists, v), JSONB)) for v in wanted))
        # an item without the flag has not passed it
        if c.path == "items.pointOfNoReturn" and False in wanted:
            unflagged = "$.items[*] ? (!(exists(@.pointOfNoReturn)))"
            clause = sa.or_(clause, sa.func.jsonb_path_exists(doc, sa.cast(unflagged, JSONPATH)))
        return clause if c.op is Op.EQ else sa.not_(clause)
    value = _json_values(leaf, c.path, c.values[0])[-1 if leaf is Leaf.ANY else 0]
    where = f"{_jsonpath(parts)} ? (@ {_JSONPATH_OPS[c.op]} $v)"
    return sa.func.jsonb_path_exists(doc, sa.cast(where, JSONPATH), sa.cast({"v": value}, JSONB))


def sort_column(tbl: sa.Table, key: SortKey) -> sa.ColumnElement[Any]:
    if key.path in COLUMNS:
        return tbl.c[COLUMNS[key.path]]
    text: sa.ColumnElement[Any] = tbl.c.document[key.path].as_string()
    if key.path in DATE_FIELDS:
        return sa.cast(text, sa.DateTime(timezone=True))
    return text


def _position_value(key: SortKey, value: Any) -> Any:
    """A position's value (JSON: dates as ISO text) as the sort column compares it."""
    if value is None or (not isinstance(value, str) and key.path not in DATE_FIELDS):
        return value
    if not isinstance(value, str):
        raise IllegalAttributeValue("cursor", "does not fit this sort")
    if key.path in _DATE_COLUMNS:
        return naive_utc(parse_date(value, key.path))
    if key.path in DATE_FIELDS:
        return parse_date(value, key.path)
    return value


def _after(
    tbl: sa.Table, keys: tuple[SortKey, ...], position: tuple[Any, ...]
) -> list[sa.ColumnElement[bool]]:
    """The orders after ``position`` under ``keys`` (missing values first ascending, last
    descending), as ``OR`` of "equal on the keys before, past on this one"; with a bound on
    the first key the index can start its range at."""
    cols = [sort_column(tbl, k) for k in keys]
    values = [_position_value(k, v) for k, v in zip(keys, position, strict=True)]
    alternatives = []
    for i, (key, col, value) in enumerate(zip(keys, cols, values, strict=True)):
        equal = [c.is_(None) if v is None else c == v for c, v in zip(cols[:i], values[:i], strict=True)]
        if key.descending:
            past = sa.false() if value is None else sa.or_(col < value, col.is_(None))
        else:
            past = col.is_not(None) if value is None else col > value
        alternatives.append(sa.and_(*equal, past))
    out = [sa.or_(*alternatives)]
    if not keys[0].descending and values[0] is not None:
        out.append(cols[0] >= values[0])
    return out


def _where(tbl: sa.Table, q: OrderQuery, client_id: str | None, pushed: list[Criterion]) -> list[Any]:
    where: list[sa.ColumnElement[bool]] = []
    if q.kind is not None:
        where.append(tbl.c.kind == q.kind.value)
    if client_id is not None:
        where.append(tbl.c.client_id == client_id)
    where += [_column_clause(tbl, c) if c.path in COLUMNS else _document_clause(tbl, c) for c in pushed]
    return where


@dataclass(frozen=True)
class Statements:
    """The statements of one query on SQL: its page and its count (None: the candidates are
    filtered in Python, on SQLite)."""

    page: sa.Select[Any] | None
    count: sa.Select[Any]
    estimate: sa.Select[Any]


def statements(q: OrderQuery, client_id: str | None, postgres: bool) -> Statements:
    tbl = table_of(q)
    pushed = [c for c in q.criteria if c.path in COLUMNS or postgres]
    where = _where(tbl, q, client_id, pushed)
    count = sa.select(sa.func.count()).select_from(tbl).where(*where)
    estimate = sa.select(sa.literal(1)).select_from(tbl).where(*where)
    keys = sort_keys(q.sort)
    if len(pushed) < len(q.criteria) or not (postgres or all(k.path in COLUMNS for k in keys)):
        return Statements(None, count, estimate)
    after = _after(tbl, keys, q.after) if q.after is not None else []
    columns = [sort_column(tbl, k) for k in keys]
    return Statements(page_statement(tbl, q, [*where, *after], columns, postgres), count, estimate)


async def run_query(conn: AsyncConnection, q: OrderQuery, client_id: str | None) -> Found:
    """One page of ``q`` and its count, as canonical documents (reduced to the selected
    attributes' top-level entries when ``as_documents`` and ``attributes`` are given)."""
    postgres = conn.dialect.name == "postgresql"
    sql = statements(q, client_id, postgres)
    if sql.page is None:
        tbl = table_of(q)
        pushed = [c for c in q.criteria if c.path in COLUMNS]
        rest = [c for c in q.criteria if c not in pushed]
        return await filter_in_python(conn, tbl, q, _where(tbl, q, client_id, pushed), rest)
    found = await fetch_page(conn, sql.page, q, len(sort_keys(q.sort)), postgres)
    found.total, found.count = await count_matches(conn, sql, q.count, postgres)
    return found
