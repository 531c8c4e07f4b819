"""Invitations looked up by account and by e-mail address: indexes on a meeting
participant's user and lower-cased e-mail address

Revision ID: 0012_participant_lookups
Revises: 0011_figures_observations
Create Date: 2026-12-03 16:05:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_participant_lookups'
down_revision = '0011_figures_observations'
branch_labels = None
depends_on = None


def upgrade():
    # The policy's question "which meetings is this user invited to" (user_id = :id OR
    # lower(email) = :email) scanned every participant of the municipality (14,000 in the
    # large one, 5 ms) on each page that shows children's names to an invitee.
    op.create_index('ix_meeting_participant_user_id', 'meeting_participant', ['user_id'])
    op.create_index(
        'ix_meeting_participant_email_lower',
        'meeting_participant',
        [sa.text('lower(email)')],
    )


def downgrade():
    op.drop_index('ix_meeting_participant_email_lower', table_name='meeting_participant')
    op.drop_index('ix_meeting_participant_user_id', table_name='meeting_participant')
