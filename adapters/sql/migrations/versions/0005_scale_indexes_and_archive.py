"""lists at scale: indexes ending with the default sort (order_date, id); the archive of closed orders

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00

* The list indexes of ``orders`` end with ``order_date, id``, the default sort
  and the keyset position a cursor holds: a page of one client's or one
  state's orders, however deep, is one range of an index (before, PostgreSQL
  sorted every order of a state to give the first fifty).  Two indexes
  replace two: ``ix_orders_kind_state_date`` (was ``ix_orders_kind_state``)
  and ``ix_orders_client_kind_date_id`` (was ``ix_orders_client_kind_date``);
  ``ix_orders_kind_date_id`` is new: a kind's orders by date, the list
  without a filter, and the index an ``offset`` walks.  The builds hold the order book's writes while they run; on a large book build
  them first with ``CREATE INDEX CONCURRENTLY`` under these names and the
  upgrade keeps them (docs/architecture.md, "Scale").
* ``orders_archive``: the columns and query indexes of ``orders`` and
  ``archived_at``; ``ordergate archive`` moves closed orders into it.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

Document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

# new index -> (its columns, the index it replaces, that one's columns)
_REPLACED = {
    'ix_orders_kind_state_date': (['kind', 'state', 'order_date', 'id'], 'ix_orders_kind_state', ['kind', 'state']),
    'ix_orders_client_kind_date_id': (
        ['client_id', 'kind', 'order_date', 'id'], 'ix_orders_client_kind_date', ['client_id', 'kind', 'order_date'],
    ),
    'ix_orders_kind_date_id': (['kind', 'order_date', 'id'], None, None),
}
_ARCHIVE_INDEXES = {
    'ix_orders_archive_client_kind_date': ['client_id', 'kind', 'order_date', 'id'],
    'ix_orders_archive_kind_state_date': ['kind', 'state', 'order_date', 'id'],
    'ix_orders_archive_external_id': ['external_id'],
    'ix_orders_archive_kind_date_id': ['kind', 'order_date', 'id'],
}


def _create_archive() -> None:
    op.create_table(
        'orders_archive',
        sa.Column('id', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('client_id', sa.String(length=128), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('order_type', sa.String(length=128), nullable=False),
        sa.Column('external_id', sa.String(length=256), nullable=True),
        sa.Column('priority', sa.String(length=16), nullable=True),
        sa.Column('order_date', sa.DateTime(), nullable=True),
        sa.Column('requested_start_date', sa.DateTime(), nullable=True),
        sa.Column('requested_completion_date', sa.DateTime(), nullable=True),
        sa.Column('completion_date', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('document', Document, nullable=False),
        sa.Column('archived_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    for name, columns in _ARCHIVE_INDEXES.items():
        op.create_index(name, 'orders_archive', columns)
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index(
            'ix_orders_archive_document', 'orders_archive', ['document'],
            postgresql_using='gin', postgresql_ops={'document': 'jsonb_path_ops'},
        )


def upgrade() -> None:
    _create_archive()
    for name, (columns, old, _) in _REPLACED.items():
        op.create_index(name, 'orders', columns, if_not_exists=True)
        if old:
            op.drop_index(old, table_name='orders', if_exists=True)


def downgrade() -> None:
    op.drop_table('orders_archive')
    for name, (_, old, old_columns) in _REPLACED.items():
        if old and old_columns:
            op.create_index(old, 'orders', old_columns)
        op.drop_index(name, table_name='orders')
