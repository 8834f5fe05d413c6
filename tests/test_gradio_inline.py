"""Light components are processed on the event loop, everything else still in a worker thread
(``playground.ui.gradio_inline``); what the app returns is unchanged."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gradio as gr
import numpy as np
import pytest
from gradio import blocks

from playground.ui import gradio_inline
from playground.ui.components import LenientNumber


def _seen_threads() -> tuple[gr.Blocks, dict[str, str]]:
    """A probe app whose Textbox and Image record the thread that runs their processing."""
    seen: dict[str, str] = {}

    class SeenTextbox(gr.Textbox):
        def preprocess(self, payload: Any) -> Any:
            seen["textbox preprocess"] = threading.current_thread().name
            return super().preprocess(payload)

        def postprocess(self, value: Any) -> Any:
            seen["textbox postprocess"] = threading.current_thread().name
            return super().postprocess(value)

    class SeenImage(gr.Image):
        def postprocess(self, value: Any) -> Any:
            seen["image postprocess"] = threading.current_thread().name
            return super().postprocess(value)

    def run(text: str, n: float) -> tuple[str, np.ndarray]:
        seen["callback"] = threading.current_thread().name
        return f"{text}:{n:g}", np.full((4, 4, 3), int(n) % 256, np.uint8)

    with gr.Blocks() as demo:
        text, n = SeenTextbox("a"), gr.Number(3)
        out, img = SeenTextbox(), SeenImage(type="numpy", format="png")
        gr.Button().click(run, [text, n], [out, img], api_name="run")
    return demo, seen


def test_only_light_components_processing_runs_inline() -> None:
    assert gradio_inline.runs_inline(gr.Number().preprocess)
    assert gradio_inline.runs_inline(LenientNumber().preprocess)  # a subclass counts as its base
    assert gradio_inline.runs_inline(gr.Markdown().postprocess)
    assert not gradio_inline.runs_inline(gr.Image().postprocess)  # encodes a picture: worker thread
    assert not gradio_inline.runs_inline(gr.Gallery().postprocess)
    assert not gradio_inline.runs_inline(gr.File().preprocess)
    assert not gradio_inline.runs_inline(gr.Number().api_info)  # not a processing hook
    assert not gradio_inline.runs_inline(lambda x: x)  # an event callback


def test_served_app_processes_text_inline_and_pictures_and_callbacks_in_workers() -> None:
    from gradio_client import Client

    from bench._common import served_app

    assert gradio_inline.install() and isinstance(blocks.anyio, gradio_inline._AnyioForBlocks)
    demo, seen = _seen_threads()
    with served_app(demo) as (_, url):
        result = Client(url, verbose=False).predict("x", 7, api_name="/run")
    assert result[0] == "x:7"
    loop_thread = seen["textbox preprocess"]
    assert not loop_thread.startswith("AnyIO worker")
    assert seen["textbox postprocess"] == loop_thread  # the event loop's thread
    assert seen["image postprocess"].startswith("AnyIO worker")
    assert seen["callback"].startswith("AnyIO worker")


class _RaisingNumber(gr.Number):
    def preprocess(self, payload: Any) -> Any:
        raise gr.Error("bad number")


def test_run_sync_hands_other_work_to_a_thread_and_passes_errors() -> None:
    import anyio

    async def main() -> tuple[str, str, str]:
        inline = await gradio_inline.run_sync(gr.Textbox().preprocess, "v")
        worker = await gradio_inline.run_sync(lambda: threading.current_thread().name)
        return inline, worker, threading.current_thread().name

    # anyio.run in a thread of its own: Playwright's sync API may hold an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        inline, worker, loop_thread = pool.submit(anyio.run, main).result()
        assert inline == "v" and worker != loop_thread
        raising = pool.submit(anyio.run, gradio_inline.run_sync, _RaisingNumber().preprocess, 1.0)
        with pytest.raises(gr.Error, match="bad number"):  # an inline hook's error reaches Gradio as before
            raising.result()
