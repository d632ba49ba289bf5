"""metrics: per-call facts, the agent state log, and anomaly alerts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The columns the dashboard's aggregates read, so its covering indexes answer them alone.
COVERED = [
    'channel', 'disposition', 'handled', 'abandoned', 'answer_s', 'handle_s', 'first_response_s', 'wrapped',
    'resolved', 'sentiment_sum', 'sentiment_count', 'scored', 'ended_negative', 'suggestions_rated',
    'suggestions_accepted',
]


def upgrade() -> None:
    op.create_table('call_facts',
    sa.Column('call_id', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_epoch', sa.BigInteger(), nullable=False),
    sa.Column('end_reason', sa.String(length=32), nullable=True),
    sa.Column('disposition', sa.String(length=16), nullable=True),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('wrapped', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('wait_s', sa.Float(), nullable=True),
    sa.Column('answer_s', sa.Float(), nullable=True),
    sa.Column('talk_s', sa.Float(), nullable=True),
    sa.Column('wrap_s', sa.Float(), nullable=True),
    sa.Column('handle_s', sa.Float(), nullable=True),
    sa.Column('first_response_s', sa.Float(), nullable=True),
    sa.Column('sentiment_sum', sa.Float(), nullable=False),
    sa.Column('sentiment_count', sa.Integer(), nullable=False),
    sa.Column('scored', sa.Integer(), nullable=False),
    sa.Column('ended_negative', sa.Integer(), nullable=False),
    sa.Column('suggestions', sa.Integer(), nullable=False),
    sa.Column('suggestions_rated', sa.Integer(), nullable=False),
    sa.Column('suggestions_accepted', sa.Integer(), nullable=False),
    sa.Column('reconnects', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id')
    )
    op.create_index('ix_call_facts_period', 'call_facts', ['queued_epoch', 'agent_id', 'reason', *COVERED], unique=False)
    op.create_index('ix_call_facts_agent_period', 'call_facts', ['agent_id', 'queued_epoch', 'reason', *COVERED], unique=False)
    op.create_table('agent_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at_epoch', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_agent_events_agent_epoch', 'agent_events', ['agent_id', 'at_epoch'], unique=False)
    op.create_index(op.f('ix_agent_events_at_epoch'), 'agent_events', ['at_epoch'], unique=False)
    op.create_table('agent_time',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('bucket_epoch', sa.BigInteger(), nullable=False),
    sa.Column('busy_s', sa.Float(), nullable=False),
    sa.Column('present_s', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('agent_id', 'bucket_epoch')
    )
    op.create_index('ix_agent_time_bucket', 'agent_time', ['bucket_epoch', 'agent_id', 'busy_s', 'present_s'], unique=False)
    op.create_index('ix_agent_time_agent', 'agent_time', ['agent_id', 'bucket_epoch', 'busy_s', 'present_s'], unique=False)
    op.create_table('metric_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi', sa.String(length=48), nullable=False),
    sa.Column('scope', sa.String(length=48), nullable=False),
    sa.Column('bucket_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_metric_alerts_created_at'), 'metric_alerts', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_metric_alerts_created_at'), table_name='metric_alerts')
    op.drop_table('metric_alerts')
    op.drop_index('ix_agent_time_agent', table_name='agent_time')
    op.drop_index('ix_agent_time_bucket', table_name='agent_time')
    op.drop_table('agent_time')
    op.drop_index(op.f('ix_agent_events_at_epoch'), table_name='agent_events')
    op.drop_index('ix_agent_events_agent_epoch', table_name='agent_events')
    op.drop_table('agent_events')
    op.drop_index('ix_call_facts_agent_period', table_name='call_facts')
    op.drop_index('ix_call_facts_period', table_name='call_facts')
    op.drop_table('call_facts')
