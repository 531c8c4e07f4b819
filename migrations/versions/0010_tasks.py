"""Background tasks: PDF jobs' attempts and signs of life; retention settings and audit
events that may be deleted once past their retention; reminders (notifications)

Revision ID: 0010_tasks
Revises: 0009_races
Create Date: 2026-12-02 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_tasks'
down_revision = '0009_races'
branch_labels = None
depends_on = None

GUARD = "audit_event is append-only"
# Rows older than the municipality's audit retention may be deleted; nothing else.
PAST_RETENTION_PG = (
    "OLD.occurred_at < now() - make_interval(years => "
    "COALESCE((SELECT min(audit_retention_years) FROM municipality), 10))"
)
PAST_RETENTION_SQLITE = (
    "OLD.occurred_at < datetime('now', '-' || "
    "COALESCE((SELECT min(audit_retention_years) FROM municipality), 10) || ' years')"
)


def upgrade():
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_unconcerned_months', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('audit_retention_years', sa.Integer(), server_default='10', nullable=False)
        )
        batch_op.add_column(
            sa.Column('escalate_after_working_days', sa.Integer(), server_default='5', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_municipality_retention_unconcerned_months_range'),
            'retention_unconcerned_months IS NULL OR retention_unconcerned_months BETWEEN 1 AND 120',
        )
        batch_op.create_check_constraint(
            op.f('ck_municipality_audit_retention_years_range'), 'audit_retention_years BETWEEN 1 AND 30'
        )
        batch_op.create_check_constraint(
            op.f('ck_municipality_escalate_after_range'), 'escalate_after_working_days BETWEEN 1 AND 60'
        )

    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('overdue', sa.Integer(), nullable=False),
        sa.Column('due_soon', sa.Integer(), nullable=False),
        sa.Column('escalated', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
        sa.UniqueConstraint('user_id', 'day', name=op.f('uq_notification_user_id_day')),
    )

    _audit_guard(past_retention=True)


def downgrade():
    _audit_guard(past_retention=False)
    op.drop_table('notification')
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_municipality_escalate_after_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_municipality_audit_retention_years_range'), type_='check')
        batch_op.drop_constraint(
            op.f('ck_municipality_retention_unconcerned_months_range'), type_='check'
        )
        batch_op.drop_column('escalate_after_working_days')
        batch_op.drop_column('audit_retention_years')
        batch_op.drop_column('retention_unconcerned_months')
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('attempts')


def _audit_guard(*, past_retention):
    """UPDATE is always refused; DELETE too, except (after this migration) of rows past the
    audit retention."""
    if op.get_bind().dialect.name == "postgresql":
        allow = f"IF TG_OP = 'DELETE' AND {PAST_RETENTION_PG} THEN RETURN OLD; END IF; " if past_retention else ""
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {allow}RAISE EXCEPTION '{GUARD}'; END; $$"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        when = f"WHEN NOT ({PAST_RETENTION_SQLITE}) " if past_retention else ""
        op.execute(
            f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event {when}"
            f"BEGIN SELECT RAISE(ABORT, '{GUARD}'); END"
        )
