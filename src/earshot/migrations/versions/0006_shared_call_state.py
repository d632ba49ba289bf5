"""shared call state: offers, customer presence and graces on calls; agent_seats, seat_declines, instances

Queue, offers, seats and deadlines move out of one process into the database, so several
instances can serve the same calls and any of them can sweep expired deadlines.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('customer_instance_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('customer_connection_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('customer_grace_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_offer_expires_at'), ['offer_expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_customer_grace_until'), ['customer_grace_until'], unique=False)
    op.create_table('agent_seats',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('call_id', sa.String(length=32), nullable=True),
    sa.Column('idle_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.String(length=32), nullable=True),
    sa.Column('connection_id', sa.String(length=32), nullable=True),
    sa.Column('grace_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_index('ix_agent_seats_grace_until', 'agent_seats', ['grace_until'], unique=False)
    op.create_table('seat_declines',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['agent_seats.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'call_id')
    )
    op.create_table('instances',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_instances_heartbeat_at', 'instances', ['heartbeat_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_instances_heartbeat_at', table_name='instances')
    op.drop_table('instances')
    op.drop_table('seat_declines')
    op.drop_index('ix_agent_seats_grace_until', table_name='agent_seats')
    op.drop_table('agent_seats')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_customer_grace_until'))
        batch_op.drop_index(batch_op.f('ix_calls_offer_expires_at'))
        batch_op.drop_column('customer_grace_until')
        batch_op.drop_column('customer_connection_id')
        batch_op.drop_column('customer_instance_id')
        batch_op.drop_column('offer_expires_at')
        batch_op.drop_column('offered_to')
