"""Microsoft's Adaptive Cards parser (npm `adaptivecards`) as one long-running node process.

The harness sends it every card the bot sends; a card it has problems with fails the test.
The Node packages come from `npm ci --prefix tests/e2e`.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

SCRIPT = Path(__file__).with_suffix(".cjs")
NODE_PROJECT = Path(__file__).resolve().parent.parent / "e2e"
LIBRARY = NODE_PROJECT / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.js"
INSTALL_HINT = "run `npm ci --prefix tests/e2e` to install the Node packages the tests use"


class CardParserUnavailable(RuntimeError):
    """The parser cannot run: Node.js or the `adaptivecards` package is missing, or it died."""


class CardParser:
    """Answers, for one Adaptive Card, the problems Microsoft's renderer library finds in it.

    Thread-safe: one request at a time goes to the node process (requests and answers are
    lines, matched by order). Identical cards are parsed once.
    """

    def __init__(self, process: subprocess.Popen[str], stderr: IO[bytes]) -> None:
        self._process = process
        self._stderr = stderr
        self._lock = threading.Lock()
        self._seen: dict[str, list[str]] = {}

    @staticmethod
    def missing() -> str | None:
        """Why the parser cannot start here, or None."""
        if shutil.which("node") is None:
            return f"node (Node.js 20) is not installed; {INSTALL_HINT}"
        if not LIBRARY.is_file():
            return f"{LIBRARY} is missing; {INSTALL_HINT}"
        return None

    @classmethod
    def start(cls) -> CardParser:
        reason = cls.missing()
        node = shutil.which("node")
        if reason is not None or node is None:
            raise CardParserUnavailable(reason)
        # stderr goes to a file, not a pipe nobody reads, so a chatty node can never block.
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the parser owns it; close() closes it
        process = subprocess.Popen(
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
        )
        parser = cls(process, stderr)
        try:
            # A round trip proves the script and the library load.
            parser.problems({"type": "AdaptiveCard", "version": "1.5", "body": []})
        except BaseException:
            parser.close()
            raise
        return parser

    def problems(self, card: Any) -> list[str]:
        """The parser's and validator's complaints about `card`; [] when it is clean."""
        line = json.dumps(card, ensure_ascii=False, sort_keys=True)  # one line: \n is escaped
        with self._lock:
            if line in self._seen:
                return list(self._seen[line])
            stdin, stdout = self._process.stdin, self._process.stdout
            assert stdin is not None
            assert stdout is not None
            try:
                stdin.write(line + "\n")
                stdin.flush()
                answer = stdout.readline()
            except (BrokenPipeError, OSError, ValueError) as error:
                raise CardParserUnavailable(f"the card parser died: {self._died()}") from error
            if not answer:
                raise CardParserUnavailable(f"the card parser died: {self._died()}")
            result = json.loads(answer)
            problems = [] if result.get("ok") else [str(p) for p in result.get("problems", [])]
            self._seen[line] = problems
            return list(problems)

    def _died(self) -> str:
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "no answer"
        self._stderr.seek(0)
        message = self._stderr.read().decode(errors="replace").strip()
        return f"exit status {self._process.returncode}: {message or '(no output)'}"

    def close(self) -> None:
        if self._process.stdin is not None:
            # A pipe to a process that already died may fail to close; it is reaped below.
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> CardParser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
