"""minutes cards kept in step by card sync after an edit (service_url, card_version,
synced_version, edited_at)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Minutes posted before: their cards show what was saved, so both versions start at 1; with
    # no service URL on record, card sync leaves their cards alone.
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_url', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('card_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('synced_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('edited_at', storage.models.UtcDateTime(timezone=True), nullable=True))
    # The model sets the defaults, as for summaries: none in the schema.
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.alter_column('card_version', server_default=None)
        batch_op.alter_column('synced_version', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
        batch_op.drop_column('synced_version')
        batch_op.drop_column('card_version')
        batch_op.drop_column('service_url')
