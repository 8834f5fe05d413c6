"""Serve the three big page responses from a cache: ``/``, ``/config`` and ``/gradio_api/info``.

Every page load renders the whole app's config (578 kB of JSON for the six tabs; the HTML page at
``/`` embeds it and the API description, 1 MB), and every ``gradio_client.Client()`` fetches
``/config`` and ``/gradio_api/info``. Gradio rebuilds these on every request: a deep copy of the
config, a walk that rewrites its root URL, and JSON encoding, 13-33 ms of GIL-bound CPU each on
this 2-core machine. When a class of 60 opens the page at once, the first clicks wait behind
seconds of page rendering (``bench/load.py``: 60 users took 9.1 s to connect, and requests in
that window waited up to 10 s).

The responses depend only on the request (path, query, the headers that set the root URL, CORS
and compression) and on the app, which does not change after launch. :func:`install` wraps the
app's ASGI stack: a GET of one of those paths, with none but the listed query parameters, is
answered by the whole stack once per distinct request key (requests that arrive while it renders
wait for it), and replayed from memory afterwards (at most ``MAX_ENTRIES`` keys, least recently used first out; only complete 200 responses that set
no cookie are kept). Every other request goes through Gradio unchanged.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import Any, Final
from urllib.parse import parse_qsl

from playground.ui import asgi_layers

CACHED: Final[dict[str, frozenset[str]]] = {
    # path -> the query parameters that may vary (part of the key); any other one bypasses the cache
    "/": frozenset(),
    "/config": frozenset(),
    "/config/": frozenset(),
    "/gradio_api/info": frozenset({"serialize", "all_endpoints"}),
    "/gradio_api/info/": frozenset({"serialize", "all_endpoints"}),
}
KEY_HEADERS: Final[tuple[bytes, ...]] = (
    b"host", b"x-forwarded-host", b"x-forwarded-proto", b"origin", b"accept-encoding")
"""Request headers a page response can depend on (root URL, CORS, compression)."""
MAX_ENTRIES: Final[int] = 32
"""Request keys remembered (each entry holds one rendered body, up to ~1 MB)."""

Scope = dict[str, Any]
Message = dict[str, Any]


def cache_key(scope: Scope) -> tuple[Any, ...] | None:
    """What the response to this ASGI ``scope`` depends on, or None when it must not be cached."""
    if scope.get("type") != "http" or scope.get("method") != "GET":
        return None
    allowed = CACHED.get(scope.get("path", ""))
    if allowed is None:
        return None
    query = tuple(sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)))
    if any(k not in allowed for k, _ in query):
        return None
    headers = dict(scope.get("headers") or [])
    if b"cookie" in headers or b"authorization" in headers:
        return None
    return (scope["path"], query, scope.get("scheme"), scope.get("root_path", ""),
            tuple(headers.get(h) for h in KEY_HEADERS))


class PageCache:
    """ASGI middleware: replay cached responses for :func:`cache_key` requests, pass the rest."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.store: OrderedDict[tuple[Any, ...], list[Message]] = OrderedDict()
        self.lock = threading.Lock()
        self.rendering: dict[tuple[Any, ...], asyncio.Future[None]] = {}
        """Keys whose first response is being rendered now (the event loop's thread only)."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        key = cache_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        in_flight = self.rendering.get(key)
        if in_flight is not None:  # 60 page loads at once: render once, the others wait for it
            await asyncio.shield(in_flight)
        hit = self._lookup(key)
        if hit is not None:
            for message in hit:
                await send(message)
            return
        recorded: list[Message] = []

        async def record(message: Message) -> None:
            recorded.append(message)
            await send(message)

        done = self.rendering.setdefault(key, asyncio.get_running_loop().create_future())
        try:
            await self.app(scope, receive, record)
            if _cacheable(recorded):
                with self.lock:
                    self.store[key] = recorded
                    while len(self.store) > MAX_ENTRIES:
                        self.store.popitem(last=False)
        finally:
            if self.rendering.get(key) is done:
                del self.rendering[key]
                done.set_result(None)

    def _lookup(self, key: tuple[Any, ...]) -> list[Message] | None:
        with self.lock:
            hit = self.store.get(key)
            if hit is not None:
                self.store.move_to_end(key)
            return hit


def _cacheable(messages: list[Message]) -> bool:
    """A complete 200 response (start, then body messages ending with ``more_body`` false) that
    sets no cookie."""
    if not messages or messages[0].get("type") != "http.response.start" or messages[0].get("status") != 200:
        return False
    if any(k.lower() == b"set-cookie" for k, _ in messages[0].get("headers", [])):
        return False
    bodies = messages[1:]
    return bool(bodies) and all(m.get("type") == "http.response.body" for m in bodies) \
        and not bodies[-1].get("more_body", False)


def install(app: Any) -> bool:
    """Put :class:`PageCache` in front of a launched Gradio ``app``'s ASGI stack (``demo.server_app``;
    Starlette calls ``app.middleware_stack`` on every request). Returns False, and changes nothing,
    for an app with authentication (its pages depend on the user). Idempotent."""
    if asgi_layers.has_auth(app):
        return False
    asgi_layers.put_in_front(app, PageCache)
    return True
