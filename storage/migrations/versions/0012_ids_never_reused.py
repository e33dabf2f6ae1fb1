"""ids never reused: SQLite tables whose ids buttons and commands name get AUTOINCREMENT

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:00:00.000000

SQLite gives a new row the highest id plus one, so the id of the last row deleted comes back
and an old button naming it acts on the new row. AUTOINCREMENT never hands out an id twice.
It is part of a SQLite table's definition, so each table is rebuilt (batch mode, recreate
"always"): the rows are copied with their ids, which puts the table's sequence at max(id).
env.py turns foreign keys off around the migrations on SQLite, so dropping the old table
neither cascades nor nulls its children; the check below proves none was left dangling.
PostgreSQL's sequences never reuse a value: nothing to do there.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = (
    'polls', 'stakeholders', 'minutes', 'action_items', 'agenda_templates', 'agendas',
    'agenda_proposals', 'tag_summaries', 'reminder_series', 'action_events',
)


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass
    dangling = bind.execute(text('PRAGMA foreign_key_check')).fetchall()
    if dangling:
        raise RuntimeError(f'rebuilding the tables left rows pointing nowhere: {dangling[:5]}')


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
