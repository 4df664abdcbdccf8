"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 03:24:16.108995
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hub_subscriptions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('callback', sa.Text(), nullable=False),
    sa.Column('client_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('orders',
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
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_client_kind_date', ['client_id', 'kind', 'order_date'], unique=False)
        batch_op.create_index('ix_orders_external_id', ['external_id'], unique=False)
        batch_op.create_index('ix_orders_kind_state', ['kind', 'state'], unique=False)
        batch_op.create_index('ix_orders_order_date', ['order_date'], unique=False)
        batch_op.create_index('ix_orders_requested_completion', ['requested_completion_date'], unique=False)

    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=128), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_unpublished', ['seq'], unique=False, postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))

    op.create_table('processed_requests',
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('hub_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['hub_subscriptions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'event_id', name='uq_hub_delivery_event')
    )
    with op.batch_alter_table('hub_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_hub_deliveries_pending', ['status', 'subscription_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hub_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_deliveries_pending')

    op.drop_table('hub_deliveries')
    op.drop_table('processed_requests')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unpublished', postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))

    op.drop_table('outbox')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_requested_completion')
        batch_op.drop_index('ix_orders_order_date')
        batch_op.drop_index('ix_orders_kind_state')
        batch_op.drop_index('ix_orders_external_id')
        batch_op.drop_index('ix_orders_client_kind_date')

    op.drop_table('orders')
    op.drop_table('leases')
    op.drop_table('hub_subscriptions')
