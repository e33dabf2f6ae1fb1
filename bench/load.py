"""Load generation and process handling shared by the benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# What each child process wrote to stderr, by pid: a file, not a pipe nobody reads (a full
# pipe blocks the child's next log line, and with it the child's event loop).
LOGS: dict[int, Path] = {}


def log_of(child: subprocess.Popen[bytes]) -> str:
    return LOGS[child.pid].read_text(errors="replace")


def errors_logged(child: subprocess.Popen[bytes]) -> int:
    """Lines logged at ERROR or worse by a child (our app logs `time LEVEL name: message`)."""
    return sum(
        1 for line in log_of(child).splitlines() if " ERROR " in line or " CRITICAL " in line
    )


@contextlib.contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    handle, name = tempfile.mkstemp(prefix="icc-bench-", suffix=".log")
    with os.fdopen(handle, "wb") as log:
        child = subprocess.Popen(
            args, cwd=ROOT, env=dict(os.environ, **(env or {})), stdout=subprocess.DEVNULL, stderr=log
        )  # fmt: skip
    LOGS[child.pid] = Path(name)
    try:
        yield child
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def server(kind: str, port: int) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    return process([sys.executable, "-m", "bench.servers", kind, str(port)])


def bot(
    port: int, database_url: str, **env: str
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    settings = {
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "ICC_RUN_SCHEDULER": "false",
    }
    settings.update(env)
    return process([sys.executable, "app.py"], settings)


async def wait_ready(url: str, child: subprocess.Popen[bytes], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError(f"process exited early: {log_of(child)[-2000:]}")
            try:
                async with http.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {within}s")


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
        return ordered[index] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")


class Measurement:
    """Requests timed back to back: only those inside the window (after the warm-up, before
    the end) count."""

    def __init__(
        self, seconds: float, warmup: float, ok: Callable[[int], bool] = lambda s: s < 300
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self.measure_from = self._loop.time() + warmup
        self.stop_at = self.measure_from + seconds
        self.seconds = seconds
        self._ok = ok
        self.latencies: list[float] = []
        self.requests = self.errors = 0

    def running(self) -> bool:
        return self._loop.time() < self.stop_at

    async def post(self, http: aiohttp.ClientSession, url: str, activity: dict[str, Any]) -> None:
        began = self._loop.time()
        try:
            async with http.post(url, json=activity) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientError:
            status = 0
        ended = self._loop.time()
        if began >= self.measure_from and ended <= self.stop_at:
            self.requests += 1
            self.latencies.append(ended - began)
            self.errors += 0 if self._ok(status) else 1

    def result(self, name: str) -> Result:
        return Result(name, self.requests, self.errors, self.seconds, self.latencies)


async def run_load(
    name: str,
    url: str,
    make_activity: Callable[[int, int], dict[str, Any]],
    *,
    clients: int = 50,
    seconds: float = 10.0,
    warmup: float = 2.0,
    ok: Callable[[int], bool] = lambda status: status < 300,
) -> Result:
    """`clients` workers post activities back to back for `seconds` (after a warm-up)."""
    counter = 0
    connector = aiohttp.TCPConnector(limit=clients * 2)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        measurement = Measurement(seconds, warmup, ok)

        async def worker(index: int) -> None:
            nonlocal counter
            while measurement.running():
                counter += 1
                await measurement.post(http, url, make_activity(index, counter))

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return measurement.result(name)


DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    """--postgres URL / --no-postgres: the backends a benchmark runs on besides SQLite."""
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    parser.add_argument("--no-postgres", action="store_true")


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """--seconds per measurement and --clients at once, then the database options."""
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    add_database_arguments(parser)


def table(results: list[Result], floor: Result | None, limit: Result | None) -> str:
    width = max(44, *(len(result.name) for result in results))

    def ratio(value: float, base: float | None, digits: int) -> str:
        return f"{value / base:{digits}.2f}" if base else f"{'—':>{digits}}"

    lines = [
        f"{'what answers /api/messages':{width}} {'turns/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'err':>5} {'×floor':>7} {'p99/floor':>9} {'×limit':>7}",
    ]
    for result in results:
        lines.append(
            f"{result.name:{width}} {result.throughput:8.0f} {result.p50:8.1f} {result.p99:8.1f} {result.errors:5d}"
            f" {ratio(result.throughput, floor.throughput if floor else None, 7)}"
            f" {ratio(result.p99, floor.p99 if floor else None, 9)}"
            f" {ratio(result.throughput, limit.throughput if limit else None, 7)}"
        )
    return "\n".join(lines)
