"""person preferences: a language left unset until the person chooses one (the browser decides
until then), and a time zone of their own

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=5), nullable=True)
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    # Every account was created with 'en', chosen or not: English is the one value that cannot
    # tell a choice from the old default, so it goes back to following the browser (an English
    # browser still gets English). Spanish was always a choice and stays.
    user = sa.table('user', sa.column('language', sa.String))
    op.get_bind().execute(user.update().where(user.c.language == 'en').values(language=None))


def downgrade():
    user = sa.table('user', sa.column('language', sa.String))
    op.get_bind().execute(user.update().where(user.c.language.is_(None)).values(language='en'))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
        batch_op.alter_column('language', existing_type=sa.String(length=5), nullable=False)
