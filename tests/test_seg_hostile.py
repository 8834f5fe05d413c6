"""Segmentation tab under hostile API input (issue 8), and the example preview as an image.

Each test fails on the code before the fix."""

from __future__ import annotations

import math

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground import config
from playground.seg import inference, view
from playground.ui import segmentation as ui


@pytest.mark.parametrize("which,side,words", [
    ([], 572, "U-Net must be one of"),
    ("a" * 10_000, 572, "U-Net must be one of"),
    ("paper", None, "input side must be a number; got nothing"),
    ("paper", math.nan, "input side must be a finite number"),
    ("paper", [572], "input side must be a number"),
    ("paper", 10**100, "input side must be ≤ 4,096"),
])
def test_unet_architecture_bad_values(which: object, side: object, words: str) -> None:
    with pytest.raises(ValueError, match=words) as info:
        view.architecture(which, side)  # type: ignore[arg-type]
    assert len(str(info.value)) < 300
    with pytest.raises(gr.Error, match=words):
        ui.unet_architecture(which, side)  # type: ignore[arg-type]


def test_unet_architecture_valid_unchanged() -> None:
    assert view.architecture("paper", 572.0) == view.architecture("paper", 572)
    assert "**23 conv layers**" in ui.unet_architecture("paper", 572)


@pytest.mark.parametrize("task", [[], None, {"a": 1}, "x" * 10_000])
def test_dataset_of_wrong_type(task: object) -> None:
    with pytest.raises(ValueError, match="unknown dataset") as info:
        view.example_choices(task)  # type: ignore[arg-type]
    assert len(str(info.value)) < 300
    with pytest.raises(ValueError, match="unknown dataset"):
        view.model_card(task)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown dataset"):
        view.segment(None, task, None)  # type: ignore[arg-type]


def test_example_name_of_wrong_type_and_long() -> None:
    for name in ([1], "a" * 1_000_000):
        with pytest.raises(gr.Error, match="not a held-out") as info:
            ui.seg_example_preview("lgg", name)  # type: ignore[arg-type]
        assert len(str(info.value.message)) < 300


@pytest.mark.parametrize("opacity", [None, math.nan, "abc", 2.0])
def test_opacity_bad_values(opacity: object) -> None:
    state = {"task": "em", "image": np.zeros((4, 4, 3), np.uint8), "mask": np.zeros((4, 4), bool),
             "truth": None, "x": None}
    with pytest.raises(ValueError, match="opacity"):
        view.reblend(state, opacity)  # type: ignore[arg-type]


@pytest.mark.skipif(config.data_dir() is None, reason="needs the data directory")
@pytest.mark.parametrize("task", ["lgg", "em"])
def test_example_preview_is_an_image_not_a_data_dir_path(task: str) -> None:
    """Gradio refuses to serve a path inside the data directory: the preview must be an image."""
    name = view.example_choices(task)[0]
    got = ui.seg_example_preview(task, name)
    assert isinstance(got, Image.Image) and got.mode == "RGB"
    path = next(p for p in inference.examples(task) if p.name == name)
    with Image.open(path) as src:
        assert got.size == src.size
    assert ui.seg_example_preview(task, None) == gr.update()
