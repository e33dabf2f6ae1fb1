"""exported files: what download links serve and the file consent flow uploads

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 00:00:00.000000

Real Teams refuses files sent as data: URIs (images aside), so an export is kept as a row: a
signed link names it, and the consent flow uploads it to the asker's OneDrive. AUTOINCREMENT
on SQLite, so a link to a deleted file never serves a later one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exported_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('owner_user_id', sa.String(length=200), nullable=False),
        sa.Column('tenant_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column('uploaded_at', storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exported_files')),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f('ix_exported_files_expires_at'), 'exported_files', ['expires_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_exported_files_expires_at'), table_name='exported_files')
    op.drop_table('exported_files')
