"""agent_seats.status_since (the live floor's time in state); an index on calls.ended_at (its abandoned in the last hour)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agent_seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_since', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_ended_at'), ['ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_ended_at'))
    with op.batch_alter_table('agent_seats', schema=None) as batch_op:
        batch_op.drop_column('status_since')
