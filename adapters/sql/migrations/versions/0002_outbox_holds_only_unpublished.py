"""the outbox holds only the events still owed: published ones are deleted

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _recreate() -> str:
    # SQLite reuses the highest rowid once its row is deleted unless the table is
    # AUTOINCREMENT, which only a new table can be: seq must never be reused.
    return 'always' if op.get_bind().dialect.name == 'sqlite' else 'auto'


def upgrade() -> None:
    bind = op.get_bind()
    highest = bind.execute(sa.text('SELECT max(seq) FROM outbox')).scalar()
    op.execute(sa.text('DELETE FROM outbox WHERE published_at IS NOT NULL'))
    with op.batch_alter_table(
        'outbox', schema=None, recreate=_recreate(), table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_index('ix_outbox_unpublished', postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))
        batch_op.drop_column('published_at')
    if bind.dialect.name == 'sqlite' and highest is not None:
        # The new table counts on from the rows it was given; positions handed out
        # before, to events deleted above, must stay taken.
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'outbox'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', :seq)"), {'seq': highest})


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None, recreate=_recreate()) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_outbox_unpublished', ['seq'], unique=False, postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))
