"""attempts by student and time: an index that finds the days a student worked on, for the
streak, without reading all their attempts

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 11:01:41.723879

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index(
            'ix_attempt_student_submitted', ['student_id', 'submitted_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_student_submitted')
