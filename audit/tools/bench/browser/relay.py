"""A TCP relay on a free loopback port that counts the bytes it carries: put between the
browser and a server (the dashboard, or nginx in front of it), it measures what a remote
user's connection would carry, compressed or not, the websocket's data messages apart
from plain HTTP (a connection whose first request asks for ``/_stcore/stream``)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from audit.server import free_port

WEBSOCKET_PATH = b"GET /_stcore/stream"
CHUNK = 65_536


class Relay:
    """Counts ``http_down``, ``http_up``, ``ws_down`` and ``ws_up`` bytes (down: to the
    browser)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def reset(self) -> dict[str, int]:
        """The counts so far, then zero."""
        with self._lock:
            counts = dict(self.counts)
            self.counts.clear()
        return counts

    def _add(self, name: str, size: int) -> None:
        with self._lock:
            self.counts[name] += size

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, name: str
    ) -> None:
        try:
            while data := await reader.read(CHUNK):
                self._add(name, len(data))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with suppress(Exception):
                writer.close()

    async def _connection(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        first = await client_r.read(CHUNK)
        if not first:
            client_w.close()
            return
        kind = "ws" if first.startswith(WEBSOCKET_PATH) else "http"
        upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._add(f"{kind}_up", len(first))
        upstream_w.write(first)
        with suppress(asyncio.CancelledError):  # the relay stopping: the connection ends
            await asyncio.gather(
                self._pipe(client_r, upstream_w, f"{kind}_up"),
                self._pipe(upstream_r, client_w, f"{kind}_down"),
            )

    @contextmanager
    def running(self) -> Iterator[Relay]:
        """Serve in a thread of its own while the block runs."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        start = asyncio.start_server(self._connection, "127.0.0.1", self.port)
        server = asyncio.run_coroutine_threadsafe(start, loop).result(timeout=10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(_shut(server), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()


async def _shut(server: asyncio.Server) -> None:
    """Stop listening and end the connections still open (the browser's idle ones)."""
    server.close()
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
