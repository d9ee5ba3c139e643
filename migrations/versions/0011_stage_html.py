"""stage html: a stage's Markdown rendered and sanitized once, when it is written, not on
every view

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 08:43:19.205239

"""
from alembic import op
import sqlalchemy as sa

from quest_platform.content import render_markdown


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('content_html', sa.Text(), nullable=False, server_default='')
        )
    # Every stage written so far, rendered as the Stage model renders it when its text is set.
    connection = op.get_bind()
    stage = sa.table('stage', sa.column('id', sa.Integer), sa.column('content', sa.Text),
                     sa.column('content_html', sa.Text))
    for stage_id, content in connection.execute(sa.select(stage.c.id, stage.c.content)).all():
        if content:
            connection.execute(
                stage.update().where(stage.c.id == stage_id)
                .values(content_html=str(render_markdown(content)))
            )
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.alter_column('content_html', server_default=None)


def downgrade():
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.drop_column('content_html')
