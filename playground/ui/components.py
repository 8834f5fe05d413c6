"""Lenient Gradio components shared by the tabs.

Gradio's own ``preprocess`` rounds numbers and decodes uploads *before* a tab's callback runs, so
a wrong value (text in a Number, a truncated PNG, a text file renamed ``.png``, a decompression
bomb) ends in a message-less "Error". These subclasses pass such payloads through unchanged, so
the core (``playground.imageio.load_image``, the tabs' validators) can name the broken constraint.
The front end renders them as the parent component (``is_template = True``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gradio as gr
from gradio import component_meta

__all__ = ["LenientNumber", "StepSlider", "LenientImage", "LenientSketchpad", "upload_path"]


@contextmanager
def _no_stub_files() -> Iterator[None]:
    """Gradio's ``ComponentMeta`` writes a ``.pyi`` stub next to the module of every component
    subclass when the class is created, i.e. inside the repository at import time. A served app
    must write nothing there (Spaces, read-only installs), so stub writing is off while the
    classes below are defined."""
    original = getattr(component_meta, "create_or_modify_pyi", None)
    component_meta.create_or_modify_pyi = lambda *args, **kwargs: None
    try:
        yield
    finally:
        if original is not None:
            component_meta.create_or_modify_pyi = original


def upload_path(payload: Any) -> str | None:
    """The server-side path of an uploaded file payload (``FileData`` or its dict), else ``None``."""
    path = getattr(payload, "path", None)
    if path is None and isinstance(payload, dict):
        path = payload.get("path")
    return str(path) if path else None


with _no_stub_files():
    class LenientNumber(gr.Number):
        """A ``gr.Number`` that passes text, NaN or non-whole values through unchanged (no rounding),
        so the callback can explain them instead of Gradio failing with a generic error."""

        is_template = True  # rendered by the frontend as a plain Number

        def preprocess(self, payload):  # noqa: ANN001, ANN201 - Gradio's signature
            try:
                return super().preprocess(payload)
            except (TypeError, ValueError, OverflowError):
                return payload

    class StepSlider(gr.Slider):
        """A step slider whose maximum changes per session: an API call with any step is accepted here
        and the callback picks the nearest existing step (the views clamp the index)."""

        is_template = True

        def preprocess(self, payload):  # noqa: ANN001, ANN201
            try:
                return super().preprocess(payload)
            except (TypeError, ValueError, gr.Error):
                return payload

    class LenientImage(gr.Image):
        """A filepath ``gr.Image`` that hands a file PIL cannot open to our loader, whose message says
        what is wrong (empty, not an image, truncated, too many pixels) instead of a generic error.

        Use it with ``type="filepath"`` and load the value with ``playground.imageio.load_image``."""

        is_template = True

        def preprocess(self, payload):  # noqa: ANN001, ANN201
            try:
                return super().preprocess(payload)
            except Exception:  # noqa: BLE001 - any decoder failure: let playground.imageio explain it
                path = upload_path(payload)
                if not path:
                    raise gr.Error("the upload could not be read; try another file", print_exception=False) from None
                return path

    class LenientSketchpad(gr.Sketchpad):
        """A ``gr.Sketchpad`` whose undecodable uploads reach our loader as a path (clear message)
        instead of Gradio's generic error. A decodable drawing is returned as Gradio returns it."""

        is_template = True

        def get_block_name(self) -> str:
            """Sketchpad is itself a template of ImageEditor: use the ImageEditor front end."""
            return "imageeditor"

        def preprocess(self, payload):  # noqa: ANN001, ANN201
            try:
                return super().preprocess(payload)
            except Exception:  # noqa: BLE001
                for key in ("composite", "background"):
                    f = payload.get(key) if isinstance(payload, dict) else getattr(payload, key, None)
                    path = upload_path(f)
                    if path:
                        return path
                raise gr.Error("the drawing could not be read; draw again or upload another file",
                               print_exception=False) from None
