"""Key figures: the municipality's threshold for small counts (suppression)

Revision ID: 0006_figures
Revises: 0005
Create Date: 2026-12-02 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_figures'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('suppression_threshold', sa.Integer(), server_default='5', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_municipality_suppression_threshold_range'),
            'suppression_threshold BETWEEN 3 AND 100',
        )


def downgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_municipality_suppression_threshold_range'), type_='check')
        batch_op.drop_column('suppression_threshold')
