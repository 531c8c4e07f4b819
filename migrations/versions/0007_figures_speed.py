"""Key figures at municipal scale: covering indexes for the dashboard's aggregate queries

Revision ID: 0007_figures_speed
Revises: 0006_figures
Create Date: 2026-12-02 03:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_figures_speed'
down_revision = '0006_figures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_group_membership_group_dates',
        'group_membership',
        ['group_id', 'start_date', 'end_date', 'child_id'],
    )
    op.create_index(
        'ix_assessment_round_status_child',
        'assessment',
        ['round_id', 'status', 'child_id', 'suggested_position', 'context'],
    )
    op.create_index(
        'ix_joint_assessment_round_child_position',
        'joint_assessment',
        ['round_id', 'child_id', 'agreed_position'],
    )


def downgrade():
    op.drop_index('ix_joint_assessment_round_child_position', table_name='joint_assessment')
    op.drop_index('ix_assessment_round_status_child', table_name='assessment')
    op.drop_index('ix_group_membership_group_dates', table_name='group_membership')
