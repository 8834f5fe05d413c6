"""Output pictures are served from memory with the response Gradio's file route gives
(``playground.ui.output_files``), and every other file request still goes through Gradio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import numpy as np
import pytest

from playground.ui import output_files
from playground.ui.output_files import OutputStore, requested_path

IGNORED = ("date", "server")


def _scope(path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None,
           root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": headers or [], "root_path": root_path}


def test_store_keeps_the_newest_bytes_within_its_bound() -> None:
    store = OutputStore(max_bytes=10)
    store.put("/a", b"1234")
    store.put("/b", b"5678")
    assert store.get("/a") == b"1234"  # now the most recently used
    store.put("/c", b"90ab")  # 12 bytes > 10: the least recently used (/b) goes
    assert store.get("/b") is None and store.get("/a") == b"1234" and store.get("/c") == b"90ab"
    assert store.total == 8 and len(store) == 2
    store.put("/a", b"xy")  # replacing counts the difference
    assert store.total == 6
    store.put("/huge", b"z" * 11)  # larger than the whole store: not kept, nothing evicted
    assert store.get("/huge") is None and len(store) == 2


def test_only_plain_same_origin_gets_of_the_file_route_are_candidates() -> None:
    assert requested_path(_scope("/gradio_api/file=/tmp/gradio/ab/image.png")) == "/tmp/gradio/ab/image.png"
    assert requested_path(_scope("/app/gradio_api/file=/tmp/x.png", root_path="/app")) == "/tmp/x.png"
    assert requested_path(_scope("/gradio_api/file=/tmp/x.png", method="HEAD")) is None
    assert requested_path(_scope("/gradio_api/upload")) is None
    assert requested_path(_scope("/file=/tmp/x.png")) is None
    for header in (b"range", b"origin", b"if-none-match", b"if-modified-since", b"if-range"):
        assert requested_path(_scope("/gradio_api/file=/tmp/x.png", headers=[(header, b"v")])) is None
    assert requested_path({"type": "websocket", "path": "/gradio_api/file=/tmp/x.png"}) is None


def _pictures() -> gr.Blocks:
    def draw(n: float) -> np.ndarray:
        return np.full((8, 8, 3), int(n) % 256, np.uint8)

    with gr.Blocks() as demo:
        n = gr.Number(3)
        out = gr.Image(type="numpy", format="png")
        gr.Button().click(draw, n, out, api_name="draw")
    return demo


@pytest.fixture()
def served(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - yields (url, calls of Gradio's file route)
    from gradio import routes

    from bench._common import served_app
    from playground.ui import gradio_fixes

    gradio_fixes.install()  # the writer that remembers the pictures (as app.build_demo installs it)
    calls: list[str] = []
    original = routes.file_fetch

    def counted(path_or_url: str, *args: Any) -> Any:
        calls.append(path_or_url)
        return original(path_or_url, *args)

    monkeypatch.setattr(routes, "file_fetch", counted)
    with served_app(_pictures()) as (demo, url):
        assert isinstance(demo.server_app.middleware_stack, output_files.FileFastPath)
        yield url, calls


def _picture_url(url: str, n: int) -> str:
    from gradio_client import Client

    out = Client(url, verbose=False, download_files=False).predict(n, api_name="/draw")
    return out["url"]


def test_a_picture_is_served_from_memory_exactly_as_gradio_serves_it(served: tuple[str, list[str]]) -> None:
    url, calls = served
    pic = _picture_url(url, 41)
    fast = httpx.get(pic, timeout=30)
    assert fast.status_code == 200 and calls == []  # Gradio's route never ran
    gradio = httpx.get(pic, headers={"if-none-match": '"other"'}, timeout=30)  # goes through Gradio
    assert gradio.status_code == 200 and len(calls) == 1
    assert fast.content == gradio.content and fast.content.startswith(b"\x89PNG")
    assert {k: v for k, v in fast.headers.items() if k not in IGNORED} == \
        {k: v for k, v in gradio.headers.items() if k not in IGNORED}
    ranged = httpx.get(pic, headers={"range": "bytes=0-3"}, timeout=30)  # Gradio's ranged answer
    assert ranged.status_code == 206 and ranged.content == fast.content[:4] and len(calls) == 2


def test_other_files_and_deleted_pictures_go_to_gradio(served: tuple[str, list[str]], tmp_path: Path) -> None:
    url, calls = served
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not yours")
    assert httpx.get(f"{url}gradio_api/file={secret}", timeout=30).status_code == 403  # Gradio refuses it
    assert calls == [str(secret)]
    pic = _picture_url(url, 42)
    path = pic.split("file=", 1)[1]
    dotted = path.replace("/image.png", "//image.png")  # another spelling: not a key, Gradio decides
    assert httpx.get(url + "gradio_api/file=" + dotted, timeout=30).status_code == 200 and len(calls) == 2
    Path(path).unlink()  # Gradio's cache was cleaned: memory must not outlive the file
    assert httpx.get(pic, timeout=30).status_code == 403 and len(calls) == 3


def test_not_installed_for_apps_with_authentication_or_blocked_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    class App:
        middleware_stack = object()

        def __init__(self, auth: Any = None, blocked: list[str] | None = None) -> None:
            self.auth = auth
            self.blocked = blocked or []

        def get_blocks(self) -> Any:
            return type("B", (), {"blocked_paths": self.blocked})()

    for app in (App(auth=[("u", "p")]), App(blocked=["/tmp"])):
        before = app.middleware_stack
        assert output_files.install(app) is False and app.middleware_stack is before
    with monkeypatch.context() as m:  # the switch that turns every Gradio patch off
        m.setenv("CNN_PLAYGROUND_GRADIO_SPEEDUPS", "0")
        switched_off = App()
        assert output_files.install(switched_off) is False
    plain = App()
    assert output_files.install(plain) and output_files.install(plain)  # idempotent
    assert isinstance(plain.middleware_stack, output_files.FileFastPath)
    assert not isinstance(plain.middleware_stack.app, output_files.FileFastPath)


def test_the_pages_pictures_come_from_memory_in_chromium(browser) -> None:  # noqa: ANN001 - conftest fixture
    """A browser loads output pictures with a plain same-origin GET (no Origin or Range header):
    the digit tab's pictures after one drawn digit are all answered by the fast path."""
    from bench._common import served_app
    from playground.digits.strokes import Placement, digit_strokes, draw_on_page
    from tests.test_ui_digits_browser import PAD, ensure_brush, wait_for_new_prediction

    with served_app() as (demo, url):
        fast = demo.server_app.middleware_stack
        assert isinstance(fast, output_files.FileFastPath)
        page = browser.new_page()
        seen: list[str] = []
        page.on("response", lambda r: seen.append(r.url) if "/gradio_api/file=" in r.url and r.ok else None)
        try:
            page.goto(url)
            page.get_by_role("tab", name="Digits").click()
            ensure_brush(page)
            before = fast.served
            seen.clear()
            draw_on_page(page, PAD, digit_strokes(3, Placement()))
            wait_for_new_prediction(page, None)
        finally:
            page.close()
    assert len(seen) >= 5  # the model input, activations and filters of the new prediction
    assert fast.served - before >= len(seen)
