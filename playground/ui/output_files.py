"""Serve the app's output images from memory, without a trip through Gradio's file route.

Every picture an event returns reaches the page as a second request,
``GET /gradio_api/file=<path>``. Gradio answers it with ``file_fetch``: on the event loop, it
resolves the path, checks it against the allowed, blocked and created folders (``is_in_or_equal``,
``Path.resolve``, one ``realpath`` per folder), then streams the file with Starlette's
``FileResponse``, which reads it in a worker thread. Under load (``bench/load.py``, 60 users,
2026-12-04) that route took about 10 % of the server's GIL time (py-spy), and a ``/classify_digit``
click (its answer has 5 pictures) took 420 ms at the median for the user against 145 ms of queue
and processing in the server: most of the difference was fetching the pictures. With this layer:
201 ms against 115 ms (with ``gradio_inline`` and the deferred configs too).

The pictures are ours: :func:`remember` is called by ``gradio_fixes.save_pil_to_cache`` with the
exact path and bytes it writes into Gradio's cache folder, which Gradio itself serves to anyone
who asks for that path. :class:`FileFastPath`, an ASGI layer in front of the app, answers a plain
``GET`` for exactly such a path from memory, with the headers Starlette's ``FileResponse`` would
send (same type, disposition, length, ``last-modified`` and ``etag``, from the file's ``stat``).
Every other request goes to Gradio unchanged: any other path (uploads, static files, a path
spelled differently), a deleted file or one of another size, ``Range`` or conditional (``If-*``) headers, a
cross-origin request (``Origin``: Gradio adds CORS headers), ``HEAD``. It is not installed for an
app with authentication or blocked paths, nor where ``gradio_speedups.supported()`` is false (another
Gradio version, or ``CNN_PLAYGROUND_GRADIO_SPEEDUPS=0``).

Memory: the newest pictures, at most :data:`MAX_BYTES` in all (least recently used out first).
"""

from __future__ import annotations

import mimetypes
import os
import threading
from collections import OrderedDict
from typing import Any, Final

from gradio.route_utils import API_PREFIX, XSS_SAFE_MIMETYPES
from starlette.responses import FileResponse

from playground import limits
from playground.ui import asgi_layers, gradio_speedups

MAX_BYTES: Final[int] = limits.OUTPUT_MEMORY_BYTES
"""Bytes of output pictures kept in memory (a ``/classify_digit`` answer's pictures are ~10 kB)."""
ROUTE: Final[str] = f"{API_PREFIX}/file="
"""Gradio's file route (``/gradio_api/file=<path>``)."""

Scope = dict[str, Any]


class OutputStore:
    """Path -> bytes of recently written output files, at most ``max_bytes`` in all (LRU);
    thread-safe (pictures are written by Gradio's worker threads, read by the event loop)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.total = 0
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, path: str, data: bytes) -> None:
        """Remember ``data`` as the content of ``path`` (skipped when larger than the whole store)."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(path, None)
            self.total += len(data) - (len(old) if old is not None else 0)
            self._data[path] = data
            while self.total > self.max_bytes:
                _, dropped = self._data.popitem(last=False)
                self.total -= len(dropped)

    def get(self, path: str) -> bytes | None:
        """The bytes remembered for ``path``, or None."""
        with self._lock:
            data = self._data.get(path)
            if data is not None:
                self._data.move_to_end(path)
            return data

    def __len__(self) -> int:
        return len(self._data)


STORE: Final[OutputStore] = OutputStore()
"""The server's output pictures (content-addressed by Gradio, so shared by all sessions)."""


def remember(path: str, data: bytes) -> None:
    """Record that ``path`` in Gradio's cache now holds ``data`` (called by the writer)."""
    STORE.put(path, data)


def requested_path(scope: Scope) -> str | None:
    """The file path of a plain same-origin ``GET /gradio_api/file=<path>``, or None for any
    other request (method, route, ``Range``/``If-*``/``Origin`` headers)."""
    if scope.get("type") != "http" or scope.get("method") != "GET":
        return None
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root + ROUTE):
        path = path[len(root):]
    if not path.startswith(ROUTE):
        return None
    for name, _ in scope.get("headers") or ():
        if name in (b"range", b"origin") or name.startswith(b"if-"):
            return None
    return path[len(ROUTE):]


def response_headers(path: str, stat: os.stat_result) -> list[tuple[bytes, bytes]]:
    """The headers Gradio's file route sends for a file it serves inline (``file_fetch``:
    ``FileResponse`` with ``Accept-Ranges``, the guessed type and the file's name)."""
    mime, _ = mimetypes.guess_type(path)
    inline = mime in XSS_SAFE_MIMETYPES
    return FileResponse(path, headers={"Accept-Ranges": "bytes"}, stat_result=stat,
                        media_type=(mime or "application/octet-stream") if inline else "application/octet-stream",
                        content_disposition_type="inline" if inline else "attachment",
                        filename=os.path.basename(path)).raw_headers


class FileFastPath:
    """ASGI middleware: answer :func:`requested_path` requests for remembered files from memory."""

    def __init__(self, app: Any, store: OutputStore = STORE) -> None:
        self.app = app
        self.store = store
        self.served = 0
        """Responses answered from memory (for tests and diagnostics)."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = requested_path(scope)
        data = self.store.get(path) if path is not None else None
        stat = _stat(path) if data is not None else None
        if stat is None or stat.st_size != len(data):  # type: ignore[arg-type]
            await self.app(scope, receive, send)
            return
        self.served += 1
        await send({"type": "http.response.start", "status": 200, "headers": response_headers(path, stat)})
        await send({"type": "http.response.body", "body": data})


def _stat(path: str | None) -> os.stat_result | None:
    try:
        return os.stat(path) if path else None
    except OSError:
        return None


def install(app: Any) -> bool:
    """Put :class:`FileFastPath` in front of a launched Gradio ``app``'s ASGI stack. Returns False,
    and changes nothing, for an app with authentication or blocked paths. Idempotent."""
    if asgi_layers.has_auth(app) or not gradio_speedups.supported():  # it mirrors Gradio 6.31's route
        return False
    blocks = app.get_blocks() if hasattr(app, "get_blocks") else None
    if blocks is not None and getattr(blocks, "blocked_paths", None):
        return False
    asgi_layers.put_in_front(app, FileFastPath)
    return True
