"""Units of work on PostgreSQL, straight on an asyncpg pool.

Every order change runs the same few statements, and SQLAlchemy's async
bridge (a greenlet switch per call, an execution context and result set-up
per statement) cost about as much CPU as the database round trips
themselves.  So on PostgreSQL the unit of work speaks asyncpg: fixed SQL,
prepared once per connection by asyncpg's statement cache, with the JSON
columns sent as the text SQLAlchemy's JSON type would send.  It writes the
same rows as the SQLAlchemy Core unit of work (``adapters.sql.store``, the
path SQLite takes), which a test checks.

Reads run at once, outside any transaction: they need no snapshot, since a
change is saved only if the order is still at the version read.  Writes are
collected and sent at ``commit`` as one statement, each write a
data-modifying CTE: a single statement is atomic by itself, so a change
costs one round trip instead of BEGIN, its statements and COMMIT.  A write
that must find its row at the version read (save, remove) guards every write
after it, so when it finds none, nothing at all is written and the unit of
work raises ``ResyncRequired``.  Queries run on the SQLAlchemy engine (their
statements are built per query).

Units of work that read nothing and guard nothing -- creates -- commit
together: those that reach ``commit`` in the same turn of the event loop go
to the database as one statement, on one pooled connection (one round trip,
one transaction, one WAL flush for them all).  None of them can hold another
back, and if the statement fails (a taken id, a recorded request), each is
sent again by itself, so each still gets its own outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql import cancel_tasks
from adapters.sql.engine import naive_utc, utcnow
from adapters.sql.errors import unavailable
from adapters.sql.jsontext import dumps, loads
from adapters.sql.queries import run_query
from core.document.parse import order_from_dict
from core.document.render import order_to_dict
from core.domain.cancel_tasks import CancelTask, CancelTaskPage, CancelTaskQuery, touched
from core.domain.errors import DuplicateKey, ResyncRequired, Unavailable
from core.domain.event_codec import event_from_dict, event_to_dict
from core.domain.events import OrderEvent
from core.domain.model import Order
from core.domain.query import OrderQuery
from core.ports import AlreadyRecorded, QueryPage

_ORDER_COLUMNS = (
    "kind, client_id, state, order_type, external_id, priority, order_date, requested_start_date,"
    " requested_completion_date, completion_date, version, document"
)
# Inserts select their values so that a guard can hold them back; values in a
# select list need their types spelt out.
INSERT_ORDER = (
    f"INSERT INTO orders (id, {_ORDER_COLUMNS}) SELECT $1::varchar, $2::varchar, $3::varchar, $4::varchar,"
    " $5::varchar, $6::varchar, $7::varchar, $8::timestamp, $9::timestamp, $10::timestamp, $11::timestamp,"
    " $12::integer, $13::jsonb"
)
UPDATE_ORDER = (
    f"UPDATE orders SET ({_ORDER_COLUMNS}) = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)"
    " WHERE id = $1 AND version = $14"
)
DELETE_ORDER = "DELETE FROM orders WHERE id = $1 AND version = $2"
# The events of a unit of work go in one insert, in order: the order of the
# data-modifying CTEs of one statement is unspecified, outbox order is not.
INSERT_EVENTS = (
    "INSERT INTO outbox (event_id, order_id, event_type, payload, created_at)"
    " SELECT event_id, order_id, event_type, payload::jsonb, created_at FROM (VALUES {rows})"
    " AS e (event_id, order_id, event_type, payload, created_at, n)"
)
_EVENT_ROW = "(${}::varchar, ${}::varchar, ${}::varchar, ${}::text, ${}::timestamp, {})"
INSERT_RESULT = (
    "INSERT INTO processed_requests (key, result, created_at) SELECT $1::varchar, $2::jsonb, $3::timestamp"
)
SELECT_DOCUMENT = "SELECT document FROM orders WHERE id = $1"
SELECT_UNPUBLISHED = "SELECT seq, payload FROM outbox ORDER BY seq LIMIT $1"
DELETE_PUBLISHED = "DELETE FROM outbox WHERE seq = ANY($1::bigint[])"
SELECT_RESULT = "SELECT result FROM processed_requests WHERE key = $1"
_PLACEHOLDER = re.compile(r"\$(\d+)")
ORDERS_KEY = "orders_pkey"
REQUESTS_KEY = "processed_requests_pkey"
_TAKEN_ID = re.compile(r"^Key \(id\)=\((.*)\) already exists")


def _row(order: Order) -> tuple[Any, ...]:
    return (
        order.id,
        order.kind.value,
        order.client_id,
        order.state.value,
        order.order_type,
        order.external_id,
        order.priority.name.lower() if order.priority else None,
        naive_utc(order.order_date),
        naive_utc(order.requested_start_date),
        naive_utc(order.requested_completion_date),
        naive_utc(order.completion_date),
        order.version,
        dumps(order_to_dict(order)),
    )


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Nothing to reset on release: a unit of work sets no session state (no SET,
    LISTEN, advisory lock or open cursor), and its transaction is over."""


class PgPool:
    """An asyncpg pool opened on first use (the store is built before the event loop runs)."""

    def __init__(self, url: str, size: int) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.size = size
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        self._closed = False
        self.together = _Together(self)

    async def get(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        if self._closed:
            raise Unavailable("the store is closed")
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                # No connection up front: each is opened when first needed and kept.
                self._pool = await asyncpg.create_pool(
                    self.dsn,
                    min_size=0,
                    max_size=self.size,
                    reset=_keep_session,
                    # sixteen creates in one statement run past asyncpg's default (15 KiB)
                    max_cacheable_statement_size=64 * 1024,
                )
        return self._pool

    async def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def unpublished(pool: PgPool, limit: int) -> list[OrderEvent]:
    """The outbox feed's read for the relay (the same rows as ``SqlaOutboxFeed.unpublished``)."""
    rows = await (await pool.get()).fetch(SELECT_UNPUBLISHED, limit)
    return [event_from_dict(loads(payload), seq=seq) for seq, payload in rows]


async def remove_published(pool: PgPool, seqs: Sequence[int]) -> None:
    await (await pool.get()).execute(DELETE_PUBLISHED, list(seqs))


# The most units of work one statement carries: beyond about sixteen creates
# (48 data-modifying CTEs) PostgreSQL spent three times the CPU per create.
TOGETHER_MOST = 16


class _Together:
    """Sends the unguarded writes of the units of work that commit in one turn of the loop as
    one statement; each caller learns its own outcome (as if it had sent its writes alone).

    A caller cancelled before its writes went out has them dropped, as a cancelled
    ``fetchrow`` would never have sent them."""

    def __init__(self, pool: PgPool) -> None:
        self._pool = pool
        self._waiting: list[_Unit] = []
        self._flushes: set[asyncio.Task[None]] = set()

    async def commit(self, writes: list[_Write]) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._start)  # once every unit of this turn has joined
        self._waiting.append(_Unit(writes, done))
        await done

    def _start(self) -> None:
        batch, self._waiting = self._waiting, []
        flush = asyncio.create_task(self._flush(batch), name="pg-commit-together")
        self._flushes.add(flush)
        flush.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[_Unit]) -> None:
        # Units of one shape side by side: the statements of a mixed turn repeat, and
        # both the statement cache here and asyncpg's prepared statements are reused.
        batch.sort(key=lambda u: u.shape)
        try:
            pool = await self._pool.get()
            async with pool.acquire() as conn:
                chunk: list[_Unit] = []
                size = 0
                for unit in batch:
                    n = unit.size
                    if chunk and (size + n > MAX_PARAMETERS or len(chunk) == TOGETHER_MOST):
                        await self._send(conn, chunk)
                        chunk, size = [], 0
                    chunk.append(unit)
                    size += n
                await self._send(conn, chunk)
        except BaseException as error:  # no connection, or it was lost: nobody's writes are known
            for unit in batch:
                _fail(unit.done, error)
            if not isinstance(error, Exception):
                raise

    async def _send(self, conn: Any, chunk: list[_Unit]) -> None:
        chunk = [u for u in chunk if not u.done.done()]  # their callers gave up: nothing sent
        if len(chunk) > 1:
            try:
                await _send_one(conn, [w for u in chunk for w in u.writes])
            except Exception:
                if conn.is_closed():
                    raise
                # one of them is refused, and took the rest with it: each alone, below
            else:
                for unit in chunk:
                    _succeed(unit.done)
                return
        for unit in chunk:
            if unit.done.done():
                continue
            try:
                await _send_one(conn, unit.writes)
            except Exception as error:
                if conn.is_closed():
                    raise
                _fail(unit.done, error)  # its own refusal
            else:
                _succeed(unit.done)


@dataclass(slots=True)
class _Unit:
    writes: list[_Write]
    done: asyncio.Future[None]

    @property
    def size(self) -> int:
        return sum(len(w.args) for w in self.writes)

    @property
    def shape(self) -> tuple[tuple[str, int], ...]:
        return tuple((w.sql, len(w.args)) for w in self.writes)


async def _send_one(conn: Any, writes: Sequence[_Write]) -> Any:
    """The writes as one statement on ``conn``; its row (the guards' counts)."""
    sql, args = one_statement(writes)
    return await conn.fetchrow(sql, *args)


def _succeed(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


def _fail(done: asyncio.Future[None], error: BaseException) -> None:
    if done.done():
        return
    if isinstance(error, asyncio.CancelledError):
        done.cancel()
    else:
        done.set_exception(error)


@dataclass(frozen=True, slots=True)
class _Write:
    sql: str  # placeholders $1.. of its own
    args: tuple[Any, ...]
    conflict: str | None = None  # must change one row, else this ResyncRequired message
    insert: bool = False  # an INSERT ... SELECT, which a guard can hold back
    tail: str = ""  # what follows the guard


# The most parameters one statement may carry (PostgreSQL's wire protocol); rows
# of a large bulk request beyond it go in a transaction of several statements.
MAX_PARAMETERS = 32767
_EVENTS_PER_STATEMENT = 1000


def _events_write(rows: Sequence[tuple[Any, ...]]) -> _Write:
    values = ", ".join(_EVENT_ROW.format(*range(5 * n + 1, 5 * n + 6), n) for n in range(len(rows)))
    args = tuple(v for r in rows for v in r)
    # ORDER BY: the outbox sequence numbers are drawn in event order
    return _Write(INSERT_EVENTS.format(rows=values), args, insert=True, tail=" ORDER BY n")


def one_statement(writes: Sequence[_Write]) -> tuple[str, list[Any]]:
    """The writes as one statement of data-modifying CTEs, its row the counts of the guarding ones.

    A guarding write (``conflict``) holds back every insert after it unless it
    changed its row; its own count tells the caller whether it did.  Only the
    writes after a guard are held back: the caller sends one statement only
    when the guard, if any, is the first write."""
    shape = tuple((w.sql, len(w.args), w.conflict is not None, w.insert, w.tail) for w in writes)
    return _statement(shape), [a for w in writes for a in w.args]


@functools.lru_cache(maxsize=256)
def _statement(shape: tuple[tuple[str, int, bool, bool, str], ...]) -> str:
    """The statement for writes of this shape: a unit of work of the same kind (a create, a
    change of one order) gives the same text every time, so it is built once."""
    ctes: list[str] = []
    guards: list[str] = []
    offset = 0
    for n, (sql, count, guard, insert, tail) in enumerate(shape):
        sql = _PLACEHOLDER.sub(lambda m, o=offset: f"${int(m.group(1)) + o}", sql)  # type: ignore[misc]
        if guards and insert:
            sql += " WHERE " + " AND ".join(f"EXISTS (SELECT FROM {g})" for g in guards)
        sql += tail
        ctes.append(f"w{n} AS ({sql} RETURNING 1)")
        offset += count
        if guard:
            guards.append(f"w{n}")
    counts = ", ".join(f"(SELECT count(*) FROM {g})" for g in guards) or "1"
    return f"WITH {', '.join(ctes)} SELECT {counts}"


def _count(status: str) -> int:
    """The row count of a command status such as ``UPDATE 1``."""
    return int(status.rsplit(" ", 1)[-1])


class PgUnitOfWork:
    """Reads at once on one pooled asyncpg connection (taken on first use); writes at commit,
    as one atomic statement."""

    def __init__(self, pool: PgPool, engine: AsyncEngine) -> None:
        self._pool = pool
        self._engine = engine
        self._held: asyncpg.Pool | None = None  # the pool the connection came from
        self._conn: Any = None
        self._writes: list[_Write] = []
        self.events: list[tuple[Any, ...]] = []  # outbox rows, written last, in order
        self.orders = PgOrderRepository(self)
        self.outbox = PgOutbox(self)
        self.requests = PgRequestLog(self)

    async def __aenter__(self) -> Self:
        return self

    async def _connection(self) -> Any:
        if self._conn is None:
            try:
                self._held = await self._pool.get()
                self._conn = await self._held.acquire()
            except Exception as e:
                if unavailable(e):
                    raise Unavailable(f"database unavailable: {e}") from e
                raise
        return self._conn

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._writes, self.events = [], []  # not committed: never sent
        if self._conn is not None and self._held is not None:
            with contextlib.suppress(asyncpg.InterfaceError, OSError):
                await self._held.release(self._conn)
        self._conn = None
        if unavailable(exc):
            raise Unavailable(f"database unavailable: {exc}") from exc

    async def read(self, sql: str, *args: Any) -> Any:
        return await (await self._connection()).fetchval(sql, *args)

    def write(self, write: _Write) -> None:
        self._writes.append(write)

    async def query(self, query: OrderQuery, client_id: str | None) -> QueryPage:
        async with self._engine.connect() as conn:
            found = await run_query(conn, query, client_id)
        return found.page(query.as_documents)

    async def cancel_tasks(
        self, query: CancelTaskQuery, client_id: str | None, order_ids: frozenset[str]
    ) -> CancelTaskPage:
        async with self._engine.connect() as conn:
            return await cancel_tasks.listing(conn, query, client_id, order_ids)

    async def commit(self) -> None:
        writes, events = self._writes, self.events
        self._writes, self.events = [], []
        if not writes and not events:
            return
        guarded = [n for n, w in enumerate(writes) if w.conflict is not None]
        size = sum(len(w.args) for w in writes) + 5 * len(events)
        try:
            if guarded in ([], [0]) and size <= MAX_PARAMETERS:
                statement = [*writes, *([_events_write(events)] if events else [])]
                if not guarded and self._conn is None:  # it read nothing: no connection of its own
                    await self._pool.together.commit(statement)
                else:
                    await self._one_statement(statement)
            else:
                chunks = range(0, len(events), _EVENTS_PER_STATEMENT)
                await self._in_transaction(
                    [*writes, *(_events_write(events[i : i + _EVENTS_PER_STATEMENT]) for i in chunks)]
                )
        except asyncpg.UniqueViolationError as e:
            if e.constraint_name == ORDERS_KEY:
                taken = _TAKEN_ID.search(e.detail or "")
                key = taken.group(1) if taken else None
                raise DuplicateKey(f"an order with id {key!r} exists", key) from None
            if e.constraint_name == REQUESTS_KEY:
                raise AlreadyRecorded(e.detail) from None
            raise
        except Exception as e:
            if unavailable(e):
                raise Unavailable(f"database unavailable: {e}") from e
            raise

    async def _one_statement(self, writes: Sequence[_Write]) -> None:
        counts = await _send_one(await self._connection(), writes)
        for count, w in zip(counts, [w for w in writes if w.conflict is not None], strict=False):
            if count != 1:
                raise ResyncRequired(w.conflict or "")

    async def _in_transaction(self, writes: Sequence[_Write]) -> None:
        """Each write a statement of its own, all in one transaction: for several guards, or
        more rows than one statement can carry."""
        conn = await self._connection()
        async with conn.transaction():
            for w in writes:
                status = await conn.execute(w.sql + w.tail, *w.args)
                if w.conflict is not None and _count(status) != 1:
                    raise ResyncRequired(w.conflict)


class PgOrderRepository:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow
        self._added: set[str] = set()

    async def add(self, order: Order) -> None:
        # An id taken in the database shows at commit; one taken in this unit of work, now.
        if order.id in self._added:
            raise DuplicateKey(f"an order with id {order.id!r} exists", order.id)
        self._added.add(order.id)
        self._uow.write(_Write(INSERT_ORDER, _row(order), insert=True))
        self._tasks(touched(order))

    async def get(self, order_id: str) -> Order | None:
        doc = await self._uow.read(SELECT_DOCUMENT, order_id)
        return None if doc is None else order_from_dict(loads(doc))

    async def save(self, order: Order, read_version: int) -> None:
        conflict = f"order {order.id!r} changed since it was read"
        self._uow.write(_Write(UPDATE_ORDER, (*_row(order), read_version), conflict))
        self._tasks(touched(order))

    def _tasks(self, tasks: Sequence[CancelTask]) -> None:
        if tasks:
            args = tuple(v for task in tasks for v in cancel_tasks.row(task))
            sql = cancel_tasks.upsert_sql(len(tasks))
            self._uow.write(_Write(sql, args, insert=True, tail=cancel_tasks.UPSERT_TAIL))

    async def remove(self, order: Order, read_version: int) -> None:
        conflict = f"order {order.id!r} changed since it was read"
        self._uow.write(_Write(DELETE_ORDER, (order.id, read_version), conflict))

    async def query(self, query: OrderQuery, client_id: str | None) -> QueryPage:
        return await self._uow.query(query, client_id)

    async def cancel_tasks(
        self, query: CancelTaskQuery, client_id: str | None, order_ids: frozenset[str]
    ) -> CancelTaskPage:
        return await self._uow.cancel_tasks(query, client_id, order_ids)


class PgOutbox:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow

    async def append(self, events: Sequence[OrderEvent]) -> None:
        now: datetime = utcnow()
        self._uow.events.extend(
            (e.event_id, e.order_id, e.type.value, dumps(event_to_dict(e)), now) for e in events
        )


class PgRequestLog:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow

    async def recall(self, key: str) -> dict[str, Any] | None:
        value = await self._uow.read(SELECT_RESULT, key)
        return None if value is None else dict(loads(value))

    async def remember(self, key: str, result: dict[str, Any]) -> None:
        self._uow.write(_Write(INSERT_RESULT, (key, dumps(result), utcnow()), insert=True))
