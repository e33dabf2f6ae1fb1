"""The one AsyncIOScheduler of the process, with job defaults set on purpose."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

# APScheduler 3's default misfire grace is 1 second, which silently drops a job that runs late
# on a busy loop; coalesce folds a backlog into one run; one instance per job at a time.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def create_scheduler(*, misfire_grace_seconds: int = 3600) -> AsyncIOScheduler:
    defaults = dict(JOB_DEFAULTS, misfire_grace_time=misfire_grace_seconds)
    return AsyncIOScheduler(job_defaults=defaults, timezone="UTC")
