"""filters on any attribute of the order document: a GIN index on it (PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 21:00:00
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index(
            'ix_orders_document', 'orders', ['document'], unique=False,
            postgresql_using='gin', postgresql_ops={'document': 'jsonb_path_ops'},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_orders_document', table_name='orders')
