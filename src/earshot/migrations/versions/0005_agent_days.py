"""agent_days: agent time per agent and UTC day, so a period's utilization reads a few rows per agent

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_days',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('day_epoch', sa.BigInteger(), nullable=False),
    sa.Column('busy_s', sa.Float(), nullable=False),
    sa.Column('present_s', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('agent_id', 'day_epoch')
    )
    op.create_index('ix_agent_days_day', 'agent_days', ['day_epoch', 'agent_id', 'busy_s', 'present_s'], unique=False)
    # Derived from agent_time, which holds the same seconds per 15 minutes.
    op.execute(
        "INSERT INTO agent_days (agent_id, day_epoch, busy_s, present_s) "
        "SELECT agent_id, (bucket_epoch / 86400) * 86400, SUM(busy_s), SUM(present_s) "
        "FROM agent_time GROUP BY agent_id, (bucket_epoch / 86400) * 86400"
    )


def downgrade() -> None:
    op.drop_index('ix_agent_days_day', table_name='agent_days')
    op.drop_table('agent_days')
