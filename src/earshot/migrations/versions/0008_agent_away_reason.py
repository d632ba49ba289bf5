"""agent away reason: why an agent who is not taking calls is away (break, lunch, meeting, ...)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agent_seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away_reason', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agent_seats', schema=None) as batch_op:
        batch_op.drop_column('away_reason')
