"""hub: one payload per event, backoff and suspension per subscription; indexes for retention

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 12:00:00

* ``hub_events`` holds each event's payload once (deliveries held a copy per
  subscription, and kept it after delivery); the payloads of pending deliveries
  move there, the others are dropped.
* ``hub_deliveries`` gains ``order_id`` (read from its payload) and
  ``finished_at`` (deliveries already finished count as finished now, so
  retention removes them one retention period after the upgrade), and loses
  ``payload`` and ``next_attempt_at`` (the backoff is the subscription's).
* ``hub_subscriptions`` gains its state (active | suspended), failure count,
  backoff and signing secret.
* ``processed_requests`` gains an index on ``created_at`` for retention.  The
  table was never pruned before: where it is large, the index build holds the
  writes that record requests while it runs, so upgrade during a quiet hour.
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

Document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _order_id_of_payload() -> str:
    if op.get_bind().dialect.name == 'postgresql':
        return "payload->>'orderId'"
    return "json_extract(payload, '$.orderId')"


def _move_payloads() -> None:
    bind = op.get_bind()
    bind.execute(
        sa.text(
            'INSERT INTO hub_events (event_id, payload, needed_at)'
            ' SELECT event_id, payload, :now FROM hub_deliveries WHERE id IN'
            " (SELECT min(id) FROM hub_deliveries WHERE status = 'pending' GROUP BY event_id)"
        ).bindparams(sa.bindparam('now', _now(), type_=sa.DateTime()))
    )
    bind.execute(sa.text(f'UPDATE hub_deliveries SET order_id = {_order_id_of_payload()}'))
    bind.execute(
        sa.text("UPDATE hub_deliveries SET finished_at = :now WHERE status <> 'pending'").bindparams(
            sa.bindparam('now', _now(), type_=sa.DateTime())
        )
    )


def upgrade() -> None:
    op.create_table(
        'hub_events',
        sa.Column('event_id', sa.String(length=64), nullable=False),
        sa.Column('payload', Document, nullable=False),
        sa.Column('needed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('event_id'),
    )
    op.create_index('ix_hub_events_needed_at', 'hub_events', ['needed_at'], unique=False)
    with op.batch_alter_table('hub_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
    _move_payloads()
    with op.batch_alter_table('hub_deliveries', schema=None) as batch_op:
        batch_op.alter_column('order_id', existing_type=sa.String(length=128), nullable=False)
        batch_op.drop_column('payload')
        batch_op.drop_column('next_attempt_at')
        batch_op.create_index('ix_hub_deliveries_finished', ['status', 'finished_at'], unique=False)
        batch_op.create_index('ix_hub_deliveries_event', ['event_id', 'status'], unique=False)

    with op.batch_alter_table('hub_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('state_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('state_changed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('retry_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('secret', sa.String(length=256), nullable=True))
        batch_op.create_index('ix_hub_subscriptions_client', ['client_id'], unique=False)
        batch_op.create_index('ix_hub_subscriptions_state', ['state', 'state_changed_at'], unique=False)

    op.create_index('ix_processed_requests_created_at', 'processed_requests', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_processed_requests_created_at', table_name='processed_requests')
    # Columns dropped in place (SQLite 3.35+): a recreated parent table would be dropped, and
    # dropping it cascades to every delivery (foreign keys are on).
    with op.batch_alter_table('hub_subscriptions', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_hub_subscriptions_state')
        batch_op.drop_index('ix_hub_subscriptions_client')
        for column in ('secret', 'retry_at', 'failures', 'state_changed_at', 'state_reason', 'state'):
            batch_op.drop_column(column)

    with op.batch_alter_table('hub_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_deliveries_event')
        batch_op.drop_index('ix_hub_deliveries_finished')
        batch_op.add_column(sa.Column('payload', Document, nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
    bind = op.get_bind()
    # Deliveries whose payload was not kept (finished ones, pruned events) cannot go back.
    bind.execute(
        sa.text(
            'UPDATE hub_deliveries SET payload = (SELECT e.payload FROM hub_events e'
            ' WHERE e.event_id = hub_deliveries.event_id), next_attempt_at = :now'
        ).bindparams(sa.bindparam('now', _now(), type_=sa.DateTime()))
    )
    bind.execute(sa.text('DELETE FROM hub_deliveries WHERE payload IS NULL'))
    with op.batch_alter_table('hub_deliveries', schema=None) as batch_op:
        batch_op.alter_column('payload', existing_type=Document, nullable=False)
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_column('finished_at')
        batch_op.drop_column('order_id')
    op.drop_index('ix_hub_events_needed_at', table_name='hub_events')
    op.drop_table('hub_events')
