"""A database that cannot serve (refused, too many clients) is `Unavailable`, never an unexpected error."""

from __future__ import annotations

import asyncpg
import pytest

from adapters.sql import SqlaOrderStore
from core.domain.errors import Unavailable
from core.domain.model import Caller, Kind
from core.domain.query import OrderQuery
from core.usecases import OrderManagement
from tests import prefix
from tests.conftest import _admin_dsn

VALUE = {"items": [{"id": "1", "action": "add", "entity": {"specification": {"id": "fibre"}}}]}


async def test_a_refused_connection_is_unavailable(tmp_path):
    store = SqlaOrderStore("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    om = OrderManagement(store)
    try:
        with pytest.raises(Unavailable):
            await om.create_order(Caller("acme"), Kind.PRODUCT, VALUE)
        with pytest.raises(Unavailable):  # queries run on the SQLAlchemy engine
            await om.query_orders(Caller("acme"), OrderQuery(kind=Kind.PRODUCT))
        with pytest.raises(Unavailable):
            await om.get_order(Caller("acme"), None, "any")
    finally:
        await store.close()


@pytest.mark.postgres
async def test_too_many_clients_is_unavailable(pg_url):
    role = prefix.name("one_connection")  # the run's own: another run on the machine has its own
    admin = await asyncpg.connect(_admin_dsn())
    try:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")  # superusers ignore limits
        url = pg_url.replace("postgres@", f"{role}@")
        owner = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await owner.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
            await owner.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        finally:
            await owner.close()
        holder = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        store = SqlaOrderStore(url)
        try:
            with pytest.raises(Unavailable):
                await OrderManagement(store).create_order(Caller("acme"), Kind.PRODUCT, VALUE)
        finally:
            await store.close()
            await holder.close()
    finally:
        owner = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await owner.execute(f"DROP OWNED BY {role}")
        finally:
            await owner.close()
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()
