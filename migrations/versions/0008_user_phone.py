"""Users' work phone numbers, printed in letters where the user is the contact person

Revision ID: 0008_user_phone
Revises: 0007_figures_speed
Create Date: 2026-12-02 04:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_user_phone'
down_revision = '0007_figures_speed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=30), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('phone')
