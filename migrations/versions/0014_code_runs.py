"""code runs: each run of a student's code against a code challenge's tests, from the queue
to its verdict (and, for a submission, the attempt it recorded)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 13:49:47.740801

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('code_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('quest_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('results', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('problem', sa.String(length=200), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("attempt_id IS NULL OR purpose = 'submission'", name=op.f('ck_code_run_only_submissions_record')),
    sa.CheckConstraint("purpose IN ('examples', 'submission')", name=op.f('ck_code_run_purpose_known')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_code_run_status_known')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_code_run_attempt_id_attempt'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['quest_id'], ['quest.id'], name=op.f('fk_code_run_quest_id_quest'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], name=op.f('fk_code_run_stage_id_stage'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_code_run_student_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_run')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_code_run_submission_key'))
    )
    with op.batch_alter_table('code_run', schema=None) as batch_op:
        batch_op.create_index('ix_code_run_student_stage', ['student_id', 'stage_id'], unique=False)



def downgrade():
    with op.batch_alter_table('code_run', schema=None) as batch_op:
        batch_op.drop_index('ix_code_run_student_stage')

    op.drop_table('code_run')
