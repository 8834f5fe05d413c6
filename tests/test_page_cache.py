"""Page responses (``/``, ``/config``, ``/gradio_api/info``) are rendered once per request key,
then replayed from memory; every other request goes through unchanged."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from playground.ui import output_files, page_cache


def _scope(path: str, query: str = "", host: str = "h:1", method: str = "GET", **headers: str) -> dict:
    hs = [(b"host", host.encode())] + [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "path": path, "query_string": query.encode(),
            "headers": hs, "scheme": "http", "root_path": ""}


def test_cache_key_separates_origins_and_refuses_other_requests() -> None:
    k = page_cache.cache_key
    assert k(_scope("/config")) == k(_scope("/config"))
    assert k(_scope("/config")) != k(_scope("/config", host="192.168.1.5:7860"))
    assert k(_scope("/config")) != k(_scope("/config", origin="http://x"))
    assert k(_scope("/config")) != k(_scope("/config", accept_encoding="br"))
    assert k(_scope("/gradio_api/info", "serialize=False")) != k(_scope("/gradio_api/info"))
    for bad in (_scope("/config", "deep_link=abc"), _scope("/", "page=x"), _scope("/config", method="POST"),
                _scope("/gradio_api/queue/join"), _scope("/config", cookie="a=b"),
                _scope("/config", authorization="Bearer x"), {"type": "websocket", "path": "/"}):
        assert k(bad) is None


class _App:
    """A fake ASGI app that counts its calls and answers with the host it saw."""

    def __init__(self, status: int = 200, cookie: bool = False, chunks: int = 1) -> None:
        self.calls = 0
        self.status, self.cookie, self.chunks = status, cookie, chunks

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        self.calls += 1
        headers = [(b"content-type", b"application/json")] + ([(b"set-cookie", b"a=1")] if self.cookie else [])
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        host = dict(scope["headers"])[b"host"]
        for i in range(self.chunks):
            await send({"type": "http.response.body", "body": host + str(self.calls).encode(),
                        "more_body": i < self.chunks - 1})


def _run(coro: Any) -> Any:
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright keeps a loop running
    in the main thread, where ``asyncio.run`` refuses to start another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _get(cache: page_cache.PageCache, scope: dict) -> list[dict]:
    out: list[dict] = []

    async def send(m: dict) -> None:
        out.append(m)

    _run(cache(scope, None, send))
    return out


def test_replays_the_first_response_per_key() -> None:
    inner = _App(chunks=2)
    cache = page_cache.PageCache(inner)
    first = _get(cache, _scope("/config"))
    assert _get(cache, _scope("/config")) == first and inner.calls == 1
    other = _get(cache, _scope("/config", host="other:2"))
    assert inner.calls == 2 and other[1]["body"] == b"other:22"
    _get(cache, _scope("/config", "deep_link=x"))  # not cacheable: always through
    _get(cache, _scope("/config", "deep_link=x"))
    assert inner.calls == 4


def test_concurrent_first_requests_render_once() -> None:
    class Slow(_App):
        async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
            await asyncio.sleep(0.05)
            await super().__call__(scope, receive, send)

    inner = Slow()
    cache = page_cache.PageCache(inner)

    async def many() -> list[list[dict]]:
        async def one() -> list[dict]:
            out: list[dict] = []

            async def send(m: dict) -> None:
                out.append(m)

            await cache(_scope("/config"), None, send)
            return out

        return await asyncio.gather(*[one() for _ in range(20)])

    results = _run(many())
    assert inner.calls == 1 and all(r == results[0] for r in results) and not cache.rendering


@pytest.mark.parametrize("inner", [_App(status=500), _App(cookie=True)])
def test_errors_and_cookies_are_never_cached(inner: _App) -> None:
    cache = page_cache.PageCache(inner)
    _get(cache, _scope("/config"))
    _get(cache, _scope("/config"))
    assert inner.calls == 2


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_cache, "MAX_ENTRIES", 3)
    inner = _App()
    cache = page_cache.PageCache(inner)
    for i in range(5):
        _get(cache, _scope("/config", host=f"h{i}"))
    _get(cache, _scope("/config", host="h4"))  # still cached
    assert inner.calls == 5
    _get(cache, _scope("/config", host="h0"))  # evicted, so rendered again
    assert inner.calls == 6 and len(cache.store) == 3


def test_served_app_answers_page_requests_from_the_cache(app_url: str) -> None:
    from gradio_client import Client

    with httpx.Client(base_url=app_url, timeout=60) as c:
        first = [c.get(p) for p in ("", "config", "gradio_api/info")]
        again = [c.get(p) for p in ("", "config", "gradio_api/info")]
    for r1, r2 in zip(first, again):
        assert r1.status_code == r2.status_code == 200
        assert r1.content == r2.content and len(r1.content) > 10_000
        assert r1.headers["content-type"] == r2.headers["content-type"]
    assert first[1].json()["root"].startswith(app_url.rstrip("/"))
    assert "named_endpoints" in first[2].json()
    assert Client(app_url, verbose=False).predict(api_name="/ping") == "pong"


def _layers(app: Any) -> list[type]:
    """The types of the ASGI layers in front of Gradio's own stack, outermost first."""
    out, inner = [], app.middleware_stack
    while isinstance(inner, (page_cache.PageCache, output_files.FileFastPath)):
        out.append(type(inner))
        inner = inner.app
    return out


def test_launch_puts_the_cache_in_front_of_the_app() -> None:
    import gradio as gr

    from bench._common import served_app

    with gr.Blocks(title="cache probe") as demo:
        gr.Textbox()
    with served_app(demo) as (_, url):
        assert _layers(demo.server_app).count(page_cache.PageCache) == 1
        assert page_cache.install(demo.server_app)  # idempotent: still one layer
        assert _layers(demo.server_app).count(page_cache.PageCache) == 1
        with httpx.Client(base_url=url, timeout=60) as c:
            before = c.get("config").json()["title"]
            info = c.get("gradio_api/info").content
            demo.config["title"] = "changed after the first render"
            demo.server_app.api_info = {"named_endpoints": {}, "unnamed_endpoints": {}}
            assert c.get("config").json()["title"] == before == "cache probe"  # replayed
            assert c.get("gradio_api/info").content == info
            # a request the cache does not take shows the live app
            assert c.get("config", params={"deep_link": "x"}).json()["title"] == demo.config["title"]
            assert c.get("gradio_api/info", params={"page": ""}).status_code == 200
