"""award quest: each achievement award names the attempt that earned it and that attempt's quest

Awards made before this revision are matched to their attempt from what was written in the
same transaction: the quest from the award's bonus in the points ledger, then the attempt the
student submitted at the moment of the award, or the review made at that moment, else the
student's latest attempt by then (their first one, failing that). An award whose student has
no attempt at all cannot have been earned on the platform, and is removed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# On the award's quest, when the ledger told it.
SAME_QUEST = (
    "(achievement_award.quest_id IS NULL OR attempt.quest_id = achievement_award.quest_id)"
)
BACKFILL = [
    # The quest the award's bonus was entered against.
    """UPDATE achievement_award SET quest_id = (
        SELECT points_entry.quest_id FROM points_entry
        WHERE points_entry.award_id = achievement_award.id
        ORDER BY points_entry.id LIMIT 1)""",
    # An attempt submitted at the moment of the award earned it.
    f"""UPDATE achievement_award SET attempt_id = (
        SELECT attempt.id FROM attempt
        WHERE attempt.student_id = achievement_award.student_id
          AND attempt.submitted_at = achievement_award.awarded_at AND {SAME_QUEST}
        ORDER BY attempt.id DESC LIMIT 1)""",
    # Else a teacher's review of an attempt, made at that moment.
    f"""UPDATE achievement_award SET attempt_id = (
        SELECT attempt.id FROM review JOIN attempt ON attempt.id = review.attempt_id
        WHERE attempt.student_id = achievement_award.student_id
          AND review.created_at = achievement_award.awarded_at AND {SAME_QUEST}
        ORDER BY review.id DESC LIMIT 1)
    WHERE attempt_id IS NULL""",
    # Else the student's latest attempt by then, or their first one.
    f"""UPDATE achievement_award SET attempt_id = (
        SELECT attempt.id FROM attempt
        WHERE attempt.student_id = achievement_award.student_id
          AND attempt.submitted_at <= achievement_award.awarded_at AND {SAME_QUEST}
        ORDER BY attempt.submitted_at DESC, attempt.id DESC LIMIT 1)
    WHERE attempt_id IS NULL""",
    f"""UPDATE achievement_award SET attempt_id = (
        SELECT attempt.id FROM attempt
        WHERE attempt.student_id = achievement_award.student_id AND {SAME_QUEST}
        ORDER BY attempt.submitted_at, attempt.id LIMIT 1)
    WHERE attempt_id IS NULL""",
    """UPDATE achievement_award SET quest_id = (
        SELECT attempt.quest_id FROM attempt WHERE attempt.id = achievement_award.attempt_id)
    WHERE quest_id IS NULL""",
    """DELETE FROM achievement_award WHERE attempt_id IS NULL""",
]


def upgrade():
    with op.batch_alter_table('achievement_award', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quest_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attempt_id', sa.Integer(), nullable=True))

    for statement in BACKFILL:
        op.execute(statement)

    with op.batch_alter_table('achievement_award', schema=None) as batch_op:
        batch_op.alter_column('quest_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('attempt_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_achievement_award_quest_id'), ['quest_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_achievement_award_quest_id_quest'), 'quest', ['quest_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_achievement_award_attempt_id_attempt'), 'attempt', ['attempt_id'], ['id'], ondelete='RESTRICT')


def downgrade():
    with op.batch_alter_table('achievement_award', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_achievement_award_attempt_id_attempt'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_achievement_award_quest_id_quest'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_achievement_award_quest_id'))
        batch_op.drop_column('attempt_id')
        batch_op.drop_column('quest_id')
