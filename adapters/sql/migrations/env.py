"""Alembic environment: runs migrations on the async engine of the URL given.

It notes the revision before and after in ``config.attributes["revisions"]``
(so ``migrate`` can say what it did), and refuses a database at a revision
this code does not ship (``SchemaAhead``) before touching it.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from adapters.sql.engine import make_engine
from adapters.sql.migrate import SchemaAhead, SchemaState, current_revision, head_revision
from adapters.sql.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    before = current_revision(connection)
    state = SchemaState(before, head_revision())
    if state.ahead:
        raise SchemaAhead(state)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    config.attributes["revisions"] = (before, current_revision(connection))


async def _main() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(_main())
