"""The roster the protocol tests run with: the harness's Teams users with their roles."""

from __future__ import annotations

from domain.roster import parse_yaml
from storage.db import Database
from storage.roster import import_roster
from tests.harness import teams

ROSTER = f"""
cities:
  - {{name: Aarhus, country: DK, timezone: Europe/Copenhagen}}
  - {{name: Braga, country: PT, timezone: Europe/Lisbon}}
  - {{name: Kalamata, country: GR, timezone: Europe/Athens}}
  - {{name: Valencia, country: ES, timezone: Europe/Madrid, kind: mentor}}
  - {{name: Curitiba, country: BR, timezone: America/Sao_Paulo, kind: mentor}}
tags:
  - {{name: Green Buildings, theme: Green economy, mentor_city: Valencia, cities: [Aarhus, Braga, Kalamata]}}
  - {{name: Tourism Data, theme: Tourism, mentor_city: Curitiba, cities: [Kalamata], timezone: Europe/Athens}}
people:
  - name: {teams.ALICE.name}
    aad_object_id: {teams.ALICE.aad_object_id}
    email: alice.rep@aarhus.example
    roles: [{{role: city_rep, city: Aarhus}}]
  - name: {teams.BOB.name}
    aad_object_id: {teams.BOB.aad_object_id}
    email: bob.rep@aarhus.example
    roles: [{{role: city_rep, city: Aarhus}}]
  - name: {teams.BEATRIZ.name}
    aad_object_id: {teams.BEATRIZ.aad_object_id}
    email: beatriz.rep@braga.example
    timezone: Europe/Lisbon
    roles: [{{role: city_rep, city: Braga}}]
  - name: {teams.MARTA.name}
    aad_object_id: {teams.MARTA.aad_object_id}
    email: marta@valencia.example
    roles: [{{role: mentor, tag: Green Buildings}}]
  - name: {teams.LENA.name}
    aad_object_id: {teams.LENA.aad_object_id}
    email: lena@experts.example
    roles: [{{role: lead_expert, tag: Green Buildings}}, {{role: thematic_expert, tag: Green Buildings}}]
  - name: {teams.PAULO.name}
    aad_object_id: {teams.PAULO.aad_object_id}
    email: paulo@curitiba.example
    roles: [{{role: mentor, tag: Tourism Data}}]
  - name: {teams.ADA.name}
    aad_object_id: {teams.ADA.aad_object_id}
    email: ada@icc.example
    roles: [{{role: admin}}]
  - name: Kostas Rep
    email: kostas.rep@kalamata.example
    roles: [{{role: city_rep, city: Kalamata}}]
"""


async def load(database: Database) -> None:
    async with database.unit_of_work() as session:
        await import_roster(session, parse_yaml(ROSTER))
