"""Key figures: observations by day, so the dashboard reads only the round's window

Revision ID: 0011_figures_observations
Revises: 0010_tasks
Create Date: 2026-12-02 06:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_figures_observations'
down_revision = '0010_tasks'
branch_labels = None
depends_on = None


def upgrade():
    # Covering: the dashboard's highest level per child and source in the round's window
    # reads the window's entries only (every observation of the municipality before).
    op.create_index(
        'ix_observation_day_child_source_level',
        'observation',
        ['observed_on', 'child_id', 'source', 'level'],
    )


def downgrade():
    op.drop_index('ix_observation_day_child_source_level', table_name='observation')
