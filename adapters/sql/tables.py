"""The schema.  Orders are stored as their canonical document plus the
scalar columns that queries filter and sort on, each indexed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
Document = JSON().with_variant(JSONB(), "postgresql")
Seq = BigInteger().with_variant(Integer(), "sqlite")


def _order_columns() -> list[Column[Any]]:
    """The columns of an order row (the order book and its archive have the same)."""
    return [
        Column("id", String(128), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("client_id", String(128), nullable=False),
        Column("state", String(32), nullable=False),
        Column("order_type", String(128), nullable=False),
        Column("external_id", String(256)),
        Column("priority", String(16)),
        Column("order_date", DateTime()),
        Column("requested_start_date", DateTime()),
        Column("requested_completion_date", DateTime()),
        Column("completion_date", DateTime()),
        Column("version", Integer, nullable=False),
        Column("document", Document, nullable=False),
    ]


orders = Table(
    "orders",
    metadata,
    *_order_columns(),
    # Each list index ends with the default sort (order_date, id): a page of a client's or a
    # state's orders, and the keyset position after it, are one range of the index (0005).
    Index("ix_orders_client_kind_date_id", "client_id", "kind", "order_date", "id"),
    Index("ix_orders_kind_state_date", "kind", "state", "order_date", "id"),
    Index("ix_orders_external_id", "external_id"),
    Index("ix_orders_kind_date_id", "kind", "order_date", "id"),
    Index("ix_orders_order_date", "order_date"),
    Index("ix_orders_requested_completion", "requested_completion_date"),
)
# Filters on any attribute of the document run as JSONB containment on PostgreSQL: a GIN index
# serves them (jsonb_path_ops: the smaller index, and containment is all it is asked).
Index(
    "ix_orders_document",
    orders.c.document,
    postgresql_using="gin",
    postgresql_ops={"document": "jsonb_path_ops"},
).ddl_if(dialect="postgresql")

# Closed orders an operator archived (``ordergate archive``): the orders table's columns and
# query indexes, and when each was moved.  Read-only for the gateway (``?archived=true``).
orders_archive = Table(
    "orders_archive",
    metadata,
    *_order_columns(),
    Column("archived_at", DateTime(), nullable=False),
    Index("ix_orders_archive_client_kind_date", "client_id", "kind", "order_date", "id"),
    Index("ix_orders_archive_kind_state_date", "kind", "state", "order_date", "id"),
    Index("ix_orders_archive_external_id", "external_id"),
    Index("ix_orders_archive_kind_date_id", "kind", "order_date", "id"),
)
Index(
    "ix_orders_archive_document",
    orders_archive.c.document,
    postgresql_using="gin",
    postgresql_ops={"document": "jsonb_path_ops"},
).ddl_if(dialect="postgresql")

# Each order's cancel tasks (core.domain.cancel_tasks), written with the change that began or
# moved one and gone with the order: a caller's tasks are listed without reading an order.
cancel_tasks = Table(
    "cancel_tasks",
    metadata,
    Column("order_id", String(128), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("state", String(32), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("reason", Text),
    Column("requested", DateTime()),
    Column("decided_at", DateTime()),
    Column("decided_reason", Text),
    Index("ix_cancel_tasks_client_kind_created", "client_id", "kind", "created_at"),
    Index("ix_cancel_tasks_kind_created", "kind", "created_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("order_id", String(128), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", Document, nullable=False),
    Column("created_at", DateTime(), nullable=False),
    # seq is the outbox order: never reused, though published rows are deleted
    sqlite_autoincrement=True,
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", Float, nullable=False),
)

processed_requests = Table(
    "processed_requests",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("result", Document, nullable=False),
    Column("created_at", DateTime(), nullable=False),
    # retention prunes by age (adapters/sql/retention.py)
    Index("ix_processed_requests_created_at", "created_at"),
)

hub_subscriptions = Table(
    "hub_subscriptions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("callback", Text, nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("kind", String(16)),
    Column("query", Text),
    Column("created_at", DateTime(), nullable=False),
    # active | suspended (its listener failed too often in a row; state_reason says why)
    Column("state", String(16), nullable=False, server_default="active"),
    Column("state_reason", Text),
    Column("state_changed_at", DateTime()),
    # failed attempts since the last success, and when the listener may be tried again:
    # the backoff belongs to the subscription, not to one delivery
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("retry_at", DateTime()),
    Column("secret", String(256)),  # signs deliveries (X-Ordergate-Signature) when set
    Index("ix_hub_subscriptions_client", "client_id"),
    Index("ix_hub_subscriptions_state", "state", "state_changed_at"),
)

# Each event's payload once, however many subscriptions it is owed to; kept while a
# pending delivery needs it (needed_at: when the relay last owed it).
hub_events = Table(
    "hub_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("payload", Document, nullable=False),
    Column("needed_at", DateTime(), nullable=False),
    Index("ix_hub_events_needed_at", "needed_at"),
)

hub_deliveries = Table(
    "hub_deliveries",
    metadata,
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        String(64),
        ForeignKey("hub_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", String(64), nullable=False),
    Column("order_id", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("finished_at", DateTime()),  # when it was delivered or given up (retention)
    UniqueConstraint("subscription_id", "event_id", name="uq_hub_delivery_event"),
    Index("ix_hub_deliveries_pending", "status", "subscription_id", "id"),
    Index("ix_hub_deliveries_finished", "status", "finished_at"),
    Index("ix_hub_deliveries_event", "event_id", "status"),
)
