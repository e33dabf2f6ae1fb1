"""The bot as a real process (`python app.py`): free ports, start-ups expected to fail, waiting
for /healthz, and a running process whose log is kept."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent.parent


def start_until_exit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python app.py` with `env`, for a start-up expected to stop by itself."""
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_healthy(url: str, process: subprocess.Popen[str]) -> dict[str, str]:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(
                    f"app.py exited: {process.stdout.read() if process.stdout else ''}"
                )
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return dict(await response.json())
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("app.py never became healthy")


@contextmanager
def bot_process(
    database_url: str, *, env_extra: dict[str, str] | None = None, log: list[str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python app.py` as a real process; its log goes to a file (a pipe nobody reads fills up),
    whose text is appended to `log` when the process has ended."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(PORT=str(port), DATABASE_URL=database_url, LOG_LEVEL="INFO", **(env_extra or {}))
    # Replicas share one key; without it each would make data/secret.key in the repository.
    env.setdefault("ICC_SECRET_KEY", "reminder-processes-test-key-" + "0" * 32)
    log_path = Path(tempfile.mkstemp(prefix="icc-bot-", suffix=".log")[1])
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    if log is not None:
        log.append(log_path.read_text(errors="replace"))
    log_path.unlink(missing_ok=True)
