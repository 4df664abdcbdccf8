"""``ordergate check`` -- is this configuration ready to serve? -- and ``ordergate migrate``.

``check`` goes through what ``serve`` needs, in the order ``serve`` needs it:
the settings, the credentials file, the database, its schema, the broker and
the queues and exchange the gateway declares.  It prints a table, one row a
check, and stops at the first problem (the rest are "not checked"), exiting
1; 0 when everything is ready.  It tries each connection once, without the
start-up wait, so it answers within seconds.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, TextIO

from adapters.amqp import AmqpSettings
from adapters.amqp.connection import refusal as broker_refusal
from adapters.amqp.connection import safe_url as safe_amqp_url
from adapters.amqp.profile import declare
from adapters.sql import SqlaOrderStore, migrate_async
from adapters.sql.engine import safe_url
from adapters.sql.errors import refusal as database_refusal
from adapters.sql.migrate import SchemaAhead, schema_state
from ordergate.bootstrap import catalog_of, load_credentials
from ordergate.outage import short
from ordergate.settings import GatewaySettings, SettingsError
from ordergate.startup import ATTEMPT_SECONDS, StartupError, wait_for_database

NAMES = ("settings", "credentials", "catalog", "database", "schema", "broker", "queues")


class CheckFailed(Exception):
    pass


async def migrate_database(settings: GatewaySettings) -> str:
    """``ordergate migrate``: wait for the database, then bring its schema to the code's head."""
    store = SqlaOrderStore(settings.database_url, native=False)
    where = f"database {safe_url(settings.database_url)}"
    try:
        await wait_for_database(store, settings.startup_wait_seconds)
        done = await migrate_async(settings.database_url)
    except SchemaAhead as e:
        raise StartupError(f"{where}: {e}; run that version, or restore the database it had before") from None
    finally:
        await store.close()
    return f"{where}: {done}"


def _sqlite_file(url: str) -> str | None:
    """The file of an SQLite URL that does not exist yet (``serve`` would create it), else None."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    return None if os.path.exists(path) else path


async def _database(settings: GatewaySettings, rows: dict[str, str]) -> None:
    url = settings.database_url
    if (missing := _sqlite_file(url)) is not None:
        rows["database"] = f"{missing} does not exist yet: serve creates it"
        rows["schema"] = "serve creates it in the new file"
        return
    store = SqlaOrderStore(url, native=False)
    try:
        async with asyncio.timeout(ATTEMPT_SECONDS):
            state = await schema_state(store.engine)
    except Exception as e:
        reason = database_refusal(e) or (short(e) if not isinstance(e, TimeoutError) else "no answer")
        raise CheckFailed(f"{safe_url(url)}: {reason}") from None
    finally:
        await store.close()
    rows["database"] = f"{safe_url(url)} answers"
    if state.ahead or (state.behind and not store.sqlite):
        rows["schema"] = f"{state}: run `ordergate migrate`" if state.behind else str(state)
        raise CheckFailed(rows.pop("schema"))
    rows["schema"] = str(state) if state.at_head else f"{state}: serve brings the SQLite file up to date"


async def _broker(settings: GatewaySettings, rows: dict[str, str]) -> None:
    url = settings.amqp_url
    if not url:
        rows["broker"] = rows["queues"] = "not used (ORDERGATE_AMQP_URL unset)"
        return
    try:
        async with asyncio.timeout(ATTEMPT_SECONDS):
            queues = AmqpSettings(
                url=url,
                queue_type=settings.amqp_queue_type,
                dead_letter_max_messages=settings.amqp_dead_letter_max_messages,
                dead_letter_max_bytes=settings.amqp_dead_letter_max_bytes,
            )
            declared = await declare(queues, ATTEMPT_SECONDS)
    except Exception as e:
        reason = broker_refusal(e, url) or (short(e) if not isinstance(e, TimeoutError) else "no answer")
        raise CheckFailed(f"{safe_amqp_url(url)}: {reason}") from None
    rows["broker"] = f"{safe_amqp_url(url)} answers"
    rows["queues"] = f"declared: {declared}"


async def _steps(settings: GatewaySettings, rows: dict[str, str]) -> None:
    rows["settings"] = f"{len(GatewaySettings.model_fields) - 1} settings valid"
    try:
        credentials = load_credentials(settings.credentials_path)
    except StartupError as e:
        raise CheckFailed(e.message) from None
    rows["credentials"] = (
        f"{settings.credentials_path} parsed"
        if credentials
        else "not set: loopback callers only, as the local admin"
    )
    try:
        catalog = catalog_of(settings)
    except StartupError as e:
        raise CheckFailed(e.message) from None
    rows["catalog"] = (
        f"{settings.catalog_path}: {len(catalog.products)} product and {len(catalog.services)} service entries"
        if settings.catalog_path
        else "not set: each order stands alone"
    )
    await _database(settings, rows)
    await _broker(settings, rows)


def table(rows: dict[str, str], failed: str | None) -> list[str]:
    lines = [f"{'check':<12} {'result':<12} detail"]
    for name in NAMES:
        if name in rows:
            lines.append(f"{name:<12} {'ok':<12} {rows[name]}")
        elif failed is not None and name == next(n for n in NAMES if n not in rows):
            lines.append(f"{name:<12} {'FAILED':<12} {failed}")
        else:
            lines.append(f"{name:<12} {'not checked':<12}")
    return lines


async def run_checks(flags: dict[str, Any], out: TextIO) -> int:
    """Check everything with the environment and ``flags``; print the table; the exit code."""
    rows: dict[str, str] = {}
    failed: str | None = None
    try:
        await _steps(GatewaySettings.from_env(**flags), rows)
    except SettingsError as e:
        failed = "; ".join(e.problems)
    except CheckFailed as e:
        failed = str(e)
    print("\n".join(table(rows, failed)), file=out)
    return 0 if failed is None else 1
