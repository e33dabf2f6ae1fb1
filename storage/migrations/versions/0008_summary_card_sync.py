"""summary cards kept in step by card sync (card_version, synced_version)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Summaries posted before: their cards show the saved text, so both versions start at 1.
    with op.batch_alter_table('tag_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('synced_version', sa.Integer(), nullable=False, server_default='1'))
    # The model sets the defaults, as for polls and agendas: none in the schema.
    with op.batch_alter_table('tag_summaries', schema=None) as batch_op:
        batch_op.alter_column('card_version', server_default=None)
        batch_op.alter_column('synced_version', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('tag_summaries', schema=None) as batch_op:
        batch_op.drop_column('synced_version')
        batch_op.drop_column('card_version')
