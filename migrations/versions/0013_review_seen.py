"""review seen: when a student saw a teacher's review of their work, so the portal tells them
of a review until they have read it

Reviews made before this revision are told too: the students have not seen them announced.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_seen',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_seen_review_id_review'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_review_seen_student_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('review_id', name=op.f('pk_review_seen'))
    )
    with op.batch_alter_table('review_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_seen_student_id'), ['student_id'], unique=False)


def downgrade():
    with op.batch_alter_table('review_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_seen_student_id'))
    op.drop_table('review_seen')
