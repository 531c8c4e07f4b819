"""Frister og fremdrift at municipal scale: the open steps and the open memberships read
from their indexes alone (partial, covering indexes)

Revision ID: 0013_open_steps
Revises: 0012_participant_lookups
Create Date: 2026-12-04 19:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_open_steps'
down_revision = '0012_participant_lookups'
branch_labels = None
depends_on = None


def upgrade():
    # The overview's counts read every open step of the municipality (5,700 of 27,500 in
    # the large one) by path, with its due date: from this index alone, not the table.
    op.create_index(
        'ix_action_step_open',
        'action_step',
        ['path_id', 'due_on'],
        sqlite_where=sa.text('done_on IS NULL'),
        postgresql_where=sa.text('done_on IS NULL'),
    )
    # A child's current group without reading the table (the open memberships of 20,000
    # children are joined to the open paths on every overview).
    op.create_index(
        'ix_group_membership_open_group',
        'group_membership',
        ['child_id', 'group_id'],
        sqlite_where=sa.text('end_date IS NULL'),
        postgresql_where=sa.text('end_date IS NULL'),
    )


def downgrade():
    op.drop_index('ix_group_membership_open_group', table_name='group_membership')
    op.drop_index('ix_action_step_open', table_name='action_step')
