"""The scheduler engine: jobs are derived from database rows, never stored on their own.

Each feature contributes a `JobSource`: a query that says which jobs should exist (from its
tables) and a function that runs one by key. The engine reconciles APScheduler's in-memory
jobs with those queries at start-up and on a short interval, so a poll deadline or a reminder
series written by any replica reaches the process that runs the scheduler: the row is the
message. Job ids are deterministic (`<source>:<key>`), added with `replace_existing=True`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from domain.recurrence import Nudge, Series
from scheduler.recurrence import SeriesTrigger
from storage.db import Database

log = logging.getLogger(__name__)

RECONCILE_JOB = "engine:reconcile"


@dataclass(frozen=True)
class Planned:
    """A job that should exist: its key within the source, when it fires, how late it may run.

    The trigger is built only when the job is new or its fingerprint changed: the engine
    reconciles often, and most jobs are unchanged each time.
    """

    key: str
    trigger: Callable[[], BaseTrigger]
    # Changes when the plan changes (so an edited series replaces its job).
    fingerprint: str
    # None: run however late (a poll must close even if the bot was down at its deadline).
    misfire_grace_seconds: int | None = None


def once(key: str, at: datetime) -> Planned:
    """A job that runs once at `at`, however late (a poll closes even after an outage)."""
    return Planned(key=key, trigger=partial(DateTrigger, run_date=at), fingerprint=at.isoformat())


def series(
    key: str,
    plan: Series,
    nudges: list[Nudge],
    *,
    version: str,
    misfire_grace_seconds: int | None,
) -> Planned:
    """A job at each nudge before every meeting of a series, at the same wall-clock time across
    DST; `version` changes whenever the series is edited (its job is then rebuilt)."""
    return Planned(
        key=key,
        trigger=partial(SeriesTrigger, plan, nudges),
        fingerprint=version,
        misfire_grace_seconds=misfire_grace_seconds,
    )


@dataclass(frozen=True)
class JobSource:
    name: str
    plan: Callable[[AsyncSession], Awaitable[list[Planned]]]
    run: Callable[[str], Awaitable[None]]


class Engine:
    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        database: Database,
        sources: list[JobSource],
        *,
        reconcile_seconds: float = 15.0,
    ) -> None:
        self.scheduler = scheduler
        self.database = database
        self.sources = {source.name: source for source in sources}
        self.reconcile_seconds = reconcile_seconds
        self._fingerprints: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()
        elif self.scheduler.state == STATE_PAUSED:  # leading again after losing it
            self.scheduler.resume()
        self.scheduler.add_job(
            self.reconcile,
            "interval",
            seconds=self.reconcile_seconds,
            id=RECONCILE_JOB,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def pause(self) -> None:
        """Another process leads now: run nothing, forget the jobs (they are rebuilt from the
        tables when this process leads again)."""
        if self.scheduler.running:
            self.scheduler.remove_all_jobs()
            self.scheduler.pause()
        self._fingerprints.clear()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def reconcile(self) -> None:
        """Make the scheduler's jobs exactly the ones the tables ask for."""
        async with self._lock:
            wanted: dict[str, tuple[JobSource, Planned]] = {}
            async with self.database.unit_of_work() as session:
                for source in self.sources.values():
                    for planned in await source.plan(session):
                        wanted[f"{source.name}:{planned.key}"] = (source, planned)
            existing = {job.id for job in self.scheduler.get_jobs() if job.id != RECONCILE_JOB}
            changes = [
                (job_id, source, planned)
                for job_id, (source, planned) in wanted.items()
                if job_id not in existing or self._fingerprints.get(job_id) != planned.fingerprint
            ]
            # Many changes at once (start-up with thousands of series): pause so APScheduler
            # wakes up once at the end instead of once per job.
            bulk = len(changes) > 50 and self.scheduler.state == STATE_RUNNING
            if bulk:
                self.scheduler.pause()
            for job_id in existing - set(wanted):
                self.scheduler.remove_job(job_id)
                self._fingerprints.pop(job_id, None)
            for job_id, source, planned in changes:
                fingerprint = planned.fingerprint
                self.scheduler.add_job(
                    self.run_job,
                    trigger=planned.trigger(),
                    args=[source.name, planned.key],
                    id=job_id,
                    replace_existing=True,
                    misfire_grace_time=planned.misfire_grace_seconds,
                    coalesce=True,
                    max_instances=1,
                )
                self._fingerprints[job_id] = fingerprint
            if bulk:
                self.scheduler.resume()

    async def run_job(self, source_name: str, key: str) -> None:
        source = self.sources.get(source_name)
        if source is None:
            log.warning("job for unknown source %s:%s skipped", source_name, key)
            return
        try:
            await source.run(key)
        except Exception:
            log.exception("job %s:%s failed", source_name, key)

    # APScheduler inspects the signature of a job's function for every job it adds; with
    # thousands of series that was a tenth of start-up. The signature never changes.
    run_job.__signature__ = inspect.signature(run_job)  # type: ignore[attr-defined]

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self.scheduler.get_jobs() if job.id != RECONCILE_JOB)

    def next_run(self, job_id: str) -> Any:
        job = self.scheduler.get_job(job_id)
        return job.next_run_time if job else None
