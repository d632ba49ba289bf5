"""history: per-call marks (lowest sentiment, alerts, summary) and the full-text index of what was said

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=32), nullable=False),
    sa.Column('lowest_sentiment', sa.Float(), nullable=True),
    sa.Column('had_alert', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id'),
    )
    op.create_index('ix_call_history_lowest_sentiment', 'call_history', ['lowest_sentiment'])
    op.create_index(
        'ix_call_history_sentiment_order', 'call_history', [sa.text('coalesce(lowest_sentiment, 9.0)'), 'call_id']
    )
    op.create_index('ix_calls_agent_queued', 'calls', ['agent_id', 'queued_at'])
    op.create_index('ix_calls_queued_id', 'calls', ['queued_at', 'id'])
    if op.get_bind().dialect.name == 'sqlite':
        # rowid = call_history.id; porter stems English like PostgreSQL's 'english' configuration.
        op.execute(
            "CREATE VIRTUAL TABLE call_search USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE call_search ("
            " call_id VARCHAR(32) PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,"
            " text TEXT NOT NULL,"
            " document TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED)"
        )
        op.execute("CREATE INDEX ix_call_search_document ON call_search USING GIN (document)")


def downgrade() -> None:
    op.execute("DROP TABLE call_search")
    op.drop_index('ix_calls_queued_id', table_name='calls')
    op.drop_index('ix_calls_agent_queued', table_name='calls')
    op.drop_index('ix_call_history_sentiment_order', table_name='call_history')
    op.drop_index('ix_call_history_lowest_sentiment', table_name='call_history')
    op.drop_table('call_history')
