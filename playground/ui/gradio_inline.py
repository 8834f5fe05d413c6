"""Run the pre- and postprocessing of light components on the event loop, not in a worker thread.

Found with ``bench/load.py`` (issue 8). Gradio 6.31 sends every input's ``preprocess`` and every
output's ``postprocess`` to a worker thread (``anyio.to_thread.run_sync``), one hop each.
``/layer_summary`` has 22 inputs and 5 outputs, so one Layer Lab change makes 28 hops, although
its callback takes 0.1 ms. A hop is cheap on an idle server, but under load each one waits twice
for the GIL: once in the worker, and once in the event loop when the result comes back. With
60 users the server spent 177 ms (p50) in ``Blocks.process_api`` for ``/layer_summary`` (6.5 ms
when idle), while both cores were only ~60 % busy.

For number, text, choice, markdown, HTML, code, JSON and label components, ``preprocess`` and
``postprocess`` are pure Python that take microseconds: the thread hop costs more than the work.
:func:`install` makes ``gradio.blocks`` call them directly on the event loop (:data:`INLINE`).
Everything else still goes to a worker thread: the event callback itself, images, galleries,
files, plots and sketchpads (their processing encodes images or touches files). A subclass
counts as its base (``LenientNumber`` is a ``Number``).

Pinned to the Gradio version in :data:`gradio_speedups.GRADIO_VERSION`, as the other patches are;
``CNN_PLAYGROUND_GRADIO_SPEEDUPS=0`` switches it off too.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Final

import anyio
import gradio as gr
from gradio import blocks

from playground.ui import gradio_speedups

INLINE: Final[tuple[type, ...]] = (
    gr.Number, gr.Slider, gr.Checkbox, gr.CheckboxGroup, gr.Dropdown, gr.Radio, gr.Textbox,
    gr.Markdown, gr.HTML, gr.Code, gr.JSON, gr.Label,
)
"""Components whose ``preprocess``/``postprocess`` run on the event loop (subclasses included)."""

_HOOKS: Final[frozenset[str]] = frozenset({"preprocess", "postprocess"})
_state = {"installed": False}


def runs_inline(func: Callable[..., Any]) -> bool:
    """True if ``func`` is the ``preprocess`` or ``postprocess`` of an :data:`INLINE` component."""
    return getattr(func, "__name__", "") in _HOOKS and isinstance(getattr(func, "__self__", None), INLINE)


async def run_sync(func: Callable[..., Any], *args: Any, limiter: Any = None, **kwargs: Any) -> Any:
    """``anyio.to_thread.run_sync`` for ``gradio.blocks``: a light component's processing is
    called directly (:func:`runs_inline`); anything else goes to a worker thread as before."""
    if runs_inline(func):
        return func(*args)
    return await anyio.to_thread.run_sync(func, *args, limiter=limiter, **kwargs)


class _AnyioForBlocks:
    """Stands in for the ``anyio`` module inside ``gradio.blocks``: ``to_thread.run_sync`` is
    :func:`run_sync`; every other name is the real module's."""

    to_thread = SimpleNamespace(run_sync=run_sync)

    def __getattr__(self, name: str) -> Any:
        return getattr(anyio, name)


def install() -> bool:
    """Make ``gradio.blocks`` process light components inline (idempotent). True if installed."""
    if not _state["installed"] and gradio_speedups.supported():
        blocks.anyio = _AnyioForBlocks()  # type: ignore[attr-defined]
        _state["installed"] = True
    return _state["installed"]
