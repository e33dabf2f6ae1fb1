"""Roster import: YAML and CSV, idempotent, all-or-nothing with the row and reason of each error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.roster import RosterInvalid, parse_csv, parse_file, parse_yaml, validate
from storage.db import Database
from storage.migrate import migrate
from storage.models import City, Person, RoleAssignment, Tag, TagMembership
from storage.roster import import_roster

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "roster.yaml"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await migrate(db.engine)
    yield db
    await db.dispose()


async def counts(db: Database) -> dict[str, int]:
    async with db.unit_of_work() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in (City, Tag, TagMembership, Person, RoleAssignment)
        }


async def test_the_example_roster_imports(database: Database) -> None:
    async with database.unit_of_work() as session:
        report = await import_roster(session, parse_file(EXAMPLE))
    assert report.created == {"cities": 6, "tags": 2, "people": 10, "roles": 13}
    assert await counts(database) == {
        "cities": 6, "tags": 2, "tag_cities": 5, "people": 10, "role_assignments": 13,
    }  # fmt: skip
    async with database.unit_of_work() as session:
        tag = await session.scalar(select(Tag).where(Tag.key == "green-buildings"))
        assert tag is not None
        mentor = await session.get(City, tag.mentor_city_id)
        assert mentor is not None
        assert mentor.name == "Valencia"


async def test_importing_twice_changes_nothing(database: Database) -> None:
    async with database.unit_of_work() as session:
        await import_roster(session, parse_file(EXAMPLE))
    before = await counts(database)
    async with database.unit_of_work() as session:
        report = await import_roster(session, parse_file(EXAMPLE))
    assert not report.changed
    assert await counts(database) == before


async def test_a_changed_field_is_updated_in_place(database: Database) -> None:
    async with database.unit_of_work() as session:
        await import_roster(session, parse_file(EXAMPLE))
    changed = EXAMPLE.read_text().replace("Europe/Copenhagen}", "Europe/Berlin}")
    async with database.unit_of_work() as session:
        report = await import_roster(session, parse_yaml(changed))
    assert report.updated["cities"] == 1
    assert report.created["cities"] == 0
    async with database.unit_of_work() as session:
        aarhus = await session.scalar(select(City).where(City.key == "aarhus"))
        assert aarhus is not None
        assert aarhus.timezone == "Europe/Berlin"


async def test_a_bad_file_imports_nothing_and_names_each_row(database: Database) -> None:
    bad = """
cities:
  - {name: Aarhus, timezone: Europe/Copenhagen}
  - {name: Braga, timezone: Mars/Base}
people:
  - name: Alice
    email: alice@example.org
    roles:
      - {role: city_rep, city: Atlantis}
  - name: Bob
    email: not-an-email
    roles:
      - {role: overlord}
"""
    with pytest.raises(RosterInvalid) as raised:
        async with database.unit_of_work() as session:
            await import_roster(session, parse_yaml(bad))
    messages = [str(error) for error in raised.value.errors]
    assert any("line 4" in m and "Mars/Base" in m for m in messages)
    assert any("line 10" in m and "not-an-email" in m for m in messages)  # the entry's line
    assert any("line 13" in m and "unknown role 'overlord'" in m for m in messages)
    assert await counts(database) == dict.fromkeys(
        ("cities", "tags", "tag_cities", "people", "role_assignments"), 0
    )


async def test_an_unknown_city_reference_rolls_the_whole_import_back(database: Database) -> None:
    bad = """
cities:
  - {name: Aarhus}
people:
  - name: Alice
    email: alice@example.org
    roles:
      - {role: city_rep, city: Atlantis}
"""
    with pytest.raises(RosterInvalid, match=r"line 8.*unknown city 'Atlantis'"):
        async with database.unit_of_work() as session:
            await import_roster(session, parse_yaml(bad))
    assert (await counts(database))["cities"] == 0


async def test_the_csv_form_imports_the_same_model(database: Database) -> None:
    async with database.unit_of_work() as session:
        report = await import_roster(session, parse_file(ROOT / "examples" / "roster.csv"))
    assert report.created == {"cities": 3, "tags": 1, "people": 2, "roles": 2}


def test_csv_errors_name_the_row() -> None:
    text = "kind,name,email,role,city\ncity,Aarhus,,,\nrole,,ghost@example.org,city_rep,Aarhus\nplanet,Mars,,,\n"
    with pytest.raises(RosterInvalid) as raised:
        parse_csv(text)
    messages = [str(error) for error in raised.value.errors]
    assert any("row 3" in m and "ghost@example.org" in m for m in messages)
    assert any("row 4" in m and "'planet'" in m for m in messages)


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("{role: city_rep}", "city_rep needs a city"),
        ("{role: mentor, city: Aarhus}", "mentor needs a tag"),
        ("{role: admin, city: Aarhus}", "admin is programme-wide"),
        ("{role: lead_expert}", "lead_expert needs a city or a tag"),
        ("{role: thematic_expert, city: Aarhus, tag: X}", "not both"),
    ],
)
def test_role_scopes_are_checked(role: str, message: str) -> None:
    roster = parse_yaml(
        f"cities: [{{name: Aarhus}}]\npeople:\n  - name: A\n    email: a@b.cd\n    roles: [{role}]\n"
    )
    assert any(message in str(error) for error in validate(roster))


def test_duplicates_in_the_file_are_rejected() -> None:
    roster = parse_yaml(
        "cities: [{name: Aarhus}, {name: AARHUS}]\npeople:\n  - {name: A, email: a@b.cd}\n  - {name: B, email: A@b.cd}\n"
    )
    messages = " ".join(str(error) for error in validate(roster))
    assert "appears twice" in messages
    assert "a@b.cd appears twice" in messages


def test_not_yaml_at_all_is_one_clear_error() -> None:
    with pytest.raises(RosterInvalid, match="not valid YAML"):
        parse_yaml("cities: [unclosed")


def test_the_command_line_rejects_a_bad_file_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cities:\n  - {name: Braga, timezone: Nowhere/Land}\n")
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "cli", "roster", "import", str(bad), "--database-url", url],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "line 2" in result.stderr
    assert "Nowhere/Land" in result.stderr
    assert "Traceback" not in result.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "cli", "roster", "import", str(EXAMPLE), "--database-url", url],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "cities: 6 new" in ok.stdout
