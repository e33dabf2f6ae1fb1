"""agendas corrected after posting: when (updated_at; NULL while as posted)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agendas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', storage.models.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agendas', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
