"""A TCP proxy the tests can cut and restore: the database "goes away" and comes back, restarts,
or hangs."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass, field

# PostgreSQL's frontend protocol: the codes a client puts where a StartupMessage's protocol
# version would be to ask for TLS or GSSAPI encryption first.
_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104
STARTING_UP = "57P03"


def error_response(sqlstate: str, message: str, severity: str = "FATAL") -> bytes:
    """A backend ErrorResponse ('E'): severity, SQLSTATE and message fields."""
    fields = b"".join(
        code + value.encode() + b"\0"
        for code, value in ((b"S", severity), (b"V", severity), (b"C", sqlstate), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


@dataclass
class TcpProxy:
    target_host: str
    target_port: int
    port: int = 0
    _server: asyncio.Server | None = None
    _open: set[asyncio.StreamWriter] = field(default_factory=set)
    _starting_up: bool = False
    _hanging: bool = False
    refused_while_starting: int = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._starting_up:
            await self._answer_starting_up(reader, writer)
            return
        if self._hanging:
            self._open.add(writer)  # accepted, never answered: dropped by cut() or restart()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            return
        self._open.update((writer, upstream_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    if self._hanging:
                        continue  # swallowed: the server "received" it and never answers
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._open.difference_update((writer, upstream_writer))

    async def _answer_starting_up(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """What a PostgreSQL still replaying its WAL says to a client: it reads the startup
        packet (declining TLS first, if asked), then refuses with FATAL 57P03 and hangs up."""
        self.refused_while_starting += 1
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            while True:
                (length,) = struct.unpack("!i", await reader.readexactly(4))
                packet = await reader.readexactly(length - 4)
                (code,) = struct.unpack("!i", packet[:4])
                if code in (_SSL_REQUEST, _GSSENC_REQUEST):
                    writer.write(b"N")
                    await writer.drain()
                    continue
                writer.write(error_response(STARTING_UP, "the database system is starting up"))
                await writer.drain()
                break
        writer.close()

    def _drop_open(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def cut(self) -> None:
        """Refuse new connections and drop every open one, like a database that went away."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._drop_open()

    async def restore(self) -> None:
        self._hanging = False
        await self.start()

    async def restart(self, starting_seconds: float = 0.5) -> None:
        """Drop every open connection, answer new ones "the database system is starting up"
        for `starting_seconds`, then forward again: a PostgreSQL restart as clients see it."""
        self._drop_open()
        self._starting_up = True
        try:
            await asyncio.sleep(starting_seconds)
        finally:
            self._starting_up = False

    def hang(self) -> None:
        """Stop answering: new connections are accepted and left silent, and what clients send
        on open ones goes nowhere (a server that stopped responding, a black-holed network)."""
        self._hanging = True
