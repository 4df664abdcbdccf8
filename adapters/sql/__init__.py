"""SQLAlchemy 2 asyncio persistence: PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from adapters.sql.migrate import migrate, migrate_async
from adapters.sql.store import SqlaOrderStore

__all__ = ["SqlaOrderStore", "migrate", "migrate_async"]
