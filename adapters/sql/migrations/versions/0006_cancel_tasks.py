"""cancel tasks as rows of their own: a caller's tasks listed without reading any order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00

``cancel_tasks`` holds each order's cancel tasks (``core.domain.cancel_tasks``),
written with the change that began or moved one and removed with the order.
Before, a listing without an order id read every order of the caller's to find
them.  The upgrade fills the table from the histories of the orders that hold
a word of cancelling (the others have no task).
"""

from alembic import op
import sqlalchemy as sa

from adapters.sql.cancel_tasks import COLUMNS, row
from core.document.parse import order_from_dict
from core.domain.cancel_tasks import tasks

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_BATCH = 500


def _fill() -> None:
    bind = op.get_bind()
    orders = sa.table('orders', sa.column('id', sa.String), sa.column('document', sa.JSON))
    target = sa.table('cancel_tasks', *(sa.column(c) for c in COLUMNS))
    text = sa.cast(orders.c.document, sa.Text)
    after = ''
    while True:
        batch = bind.execute(
            sa.select(orders.c.id, orders.c.document)
            .where(orders.c.id > after, text.like('%ancel%'))
            .order_by(orders.c.id)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        found = [task for _, document in batch for task in tasks(order_from_dict(document))]
        if found:
            bind.execute(target.insert(), [dict(zip(COLUMNS, row(task))) for task in found])
        after = batch[-1][0]


def upgrade() -> None:
    op.create_table(
        'cancel_tasks',
        sa.Column('order_id', sa.String(length=128), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('client_id', sa.String(length=128), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('requested', sa.DateTime(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('order_id', 'position'),
    )
    op.create_index('ix_cancel_tasks_client_kind_created', 'cancel_tasks', ['client_id', 'kind', 'created_at'])
    op.create_index('ix_cancel_tasks_kind_created', 'cancel_tasks', ['kind', 'created_at'])
    _fill()


def downgrade() -> None:
    op.drop_table('cancel_tasks')
