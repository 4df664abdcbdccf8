"""The schema's state, and bringing it up to date (Alembic, migrations shipped in the package).

The state is read, never assumed: ``schema_state`` compares the revision the
database records with the newest one this code ships (its head).  Behind it
(or empty), the schema is migrated -- by ``ordergate migrate``, or by
``serve`` itself for the embedded SQLite file; ahead of it (a newer version
migrated the database, then was rolled back) it is left alone: this code
cannot know what the newer schema means, and ``migrate`` refuses with
``SchemaAhead``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(""))


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the package ships no migration"
    return head


def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: no schema yet
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        """At a revision this code does not ship: a newer version migrated the database."""
        return self.current is not None and self.current not in known_revisions()

    @property
    def behind(self) -> bool:
        return not self.at_head and not self.ahead

    def __str__(self) -> str:
        if self.at_head:
            return f"at revision {self.head}, the code's"
        if self.current is None:
            return f"empty (no schema yet; the code needs revision {self.head})"
        if self.ahead:
            return (
                f"at revision {self.current}, which this version does not know (it needs {self.head}):"
                " a newer Ordergate migrated it"
            )
        return f"at revision {self.current}, behind the code's {self.head}"


class SchemaAhead(Exception):
    """The database was migrated by a newer version: this one must not touch it."""

    def __init__(self, state: SchemaState) -> None:
        super().__init__(f"the schema is {state}")
        self.state = state


def current_revision(connection: Connection) -> str | None:
    """The revision the database records (on a synchronous connection, e.g. under ``run_sync``).

    Read straight from Alembic's table: its ``MigrationContext`` would log two lines a call,
    and ``/readyz`` and the outage watch ask often."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    revision = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return None if revision is None else str(revision)


async def schema_state(engine: AsyncEngine) -> SchemaState:
    async with engine.connect() as connection:
        current = await connection.run_sync(current_revision)
    return SchemaState(current, head_revision())


@dataclass(frozen=True)
class Migration:
    """What ``migrate`` did."""

    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before == self.after:
            return f"nothing to do: the schema is already at revision {self.after}"
        if self.before is None:
            return f"created the schema at revision {self.after}"
        return f"migrated the schema from revision {self.before} to {self.after}"


def _upgrade(url: str, revision: str) -> Migration:
    cfg = alembic_config(url)
    command.upgrade(cfg, revision)  # the environment (migrations/env.py) notes the revisions
    before, after = cfg.attributes["revisions"]
    return Migration(before, after)


def migrate(url: str, revision: str = "head") -> Migration:
    """Upgrade to ``revision``; ``SchemaAhead`` when the database is past what this code knows.

    Alembic's environment runs its own event loop, so when called under a
    running loop the upgrade runs on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _upgrade(url, revision)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_upgrade, url, revision).result()


async def migrate_async(url: str, revision: str = "head") -> Migration:
    return await asyncio.to_thread(migrate, url, revision)
