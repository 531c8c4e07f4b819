"""Many hands at once: version columns for optimistic concurrency, one participant per
guardian (and per colleague) per meeting, guardians keyed per child

Revision ID: 0009_races
Revises: 0008_user_phone
Create Date: 2026-12-02 03:30:00

Existing duplicates are cleaned up first: a guardian or colleague invited twice to the same
meeting keeps the first invitation; two guardians of one child whose names give the same key
keep both, the later ones keyed with their id (nothing is deleted that a consent or a letter
may point at).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_races'
down_revision = '0008_user_phone'
branch_labels = None
depends_on = None

VERSIONED = (
    'joint_assessment',
    'notify_decision',
    'action_plan',
    'action_path',
    'action_step',
    'meeting',
    'screening_round',
)


def _key(name):
    return " ".join((name or "").split()).casefold()[:120]


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('version', sa.Integer(), server_default='1', nullable=False)
            )

    conn = op.get_bind()
    for column in ('guardian_id', 'user_id'):
        conn.execute(sa.text(
            f"DELETE FROM meeting_participant WHERE {column} IS NOT NULL AND id NOT IN ("
            f"SELECT MIN(id) FROM meeting_participant WHERE {column} IS NOT NULL "
            f"GROUP BY meeting_id, {column})"
        ))
    with op.batch_alter_table('meeting_participant', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_meeting_participant_meeting_id_guardian_id'),
            ['meeting_id', 'guardian_id'],
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_meeting_participant_meeting_id_user_id'), ['meeting_id', 'user_id']
        )

    with op.batch_alter_table('child_guardian', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_key', sa.String(length=120), nullable=True))
    rows = conn.execute(sa.text(
        "SELECT cg.id, cg.child_id, g.name FROM child_guardian cg "
        "JOIN guardian g ON g.id = cg.guardian_id ORDER BY cg.child_id, cg.id"
    )).all()
    seen = set()
    for link_id, child_id, name in rows:
        key = _key(name)
        if (child_id, key) in seen:
            key = f"{key[:100]} #{link_id}"
        seen.add((child_id, key))
        conn.execute(
            sa.text("UPDATE child_guardian SET match_key = :key WHERE id = :id"),
            {"key": key, "id": link_id},
        )
    with op.batch_alter_table('child_guardian', schema=None) as batch_op:
        batch_op.alter_column('match_key', existing_type=sa.String(length=120), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_child_guardian_child_id_match_key'), ['child_id', 'match_key']
        )


def downgrade():
    with op.batch_alter_table('child_guardian', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_child_guardian_child_id_match_key'), type_='unique')
        batch_op.drop_column('match_key')
    with op.batch_alter_table('meeting_participant', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_meeting_participant_meeting_id_user_id'), type_='unique'
        )
        batch_op.drop_constraint(
            batch_op.f('uq_meeting_participant_meeting_id_guardian_id'), type_='unique'
        )
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
