"""Issue 8: the training studio's endpoints answer hostile API input with a short, clear message
naming the setting (no "cannot convert float NaN to integer", no "(TypeError)").

Only the validation is exercised: nothing here trains (``check_network`` builds a network and
counts its MACs; every other call is refused before any work).
"""

from __future__ import annotations

import math
from pathlib import Path

import gradio as gr
import numpy as np
import pytest

from playground.studio import augment, session
from playground.ui import studio as ui


def _short_and_clear(msg: str) -> None:
    assert 8 <= len(msg) <= 300, msg[:400]
    for internal in ("unhashable", "TypeError", "cannot convert float", "NoneType", "Traceback"):
        assert internal not in msg, msg


# check_network / train settings --------------------------------------------------------------------
@pytest.mark.parametrize("args, name", [
    (([], "", "MNIST", 32), "network"), ((["LeNet-5"], "", "MNIST", 32), "network"),
    (("LeNet-5", "", ["MNIST"], 32), "dataset"), (("LeNet-5", "", {"a": 1}, 32), "dataset"),
    ((ui.presets.CUSTOM, ["nn.ReLU()"], "MNIST", 32), "network code"),
    (("LeNet-5", "", "MNIST", [32]), "batch size"), (("LeNet-5", "", "MNIST", math.nan), "batch size"),
    (("LeNet-5", "", "MNIST", "9" * 100_000), "batch size"),
])
def test_check_network_names_a_wrong_typed_setting(args, name: str) -> None:  # noqa: ANN001
    out = ui.check_network(*args)
    assert out.startswith("❌") and f"** {name} must" in out, out[:300]
    _short_and_clear(out.split("**", 2)[-1])


@pytest.mark.parametrize("kwargs, name", [
    (dict(optimizer=["Adam"]), "optimiser"), (dict(unit=[]), "train for"),
    (dict(lr="x" * 1_000_000), "learning rate"), (dict(lr=math.inf), "learning rate"),
    (dict(amount=math.nan), "the number of steps"), (dict(seed=math.nan), "seed"),
    (dict(seed=[1]), "seed"), (dict(max_seconds={"a": 1}), "time limit"),
])
def test_parse_settings_names_the_setting(kwargs: dict, name: str) -> None:
    args = dict(optimizer="Adam", lr=1e-3, batch_size=32, amount=10, unit="steps", augment=False,
                seed=0, max_seconds=None) | kwargs
    with pytest.raises(ValueError) as info:
        session.parse_settings(**args)
    assert str(info.value).startswith(name), str(info.value)
    _short_and_clear(str(info.value))


def test_parse_settings_valid_values_unchanged() -> None:
    s = session.parse_settings("SGD", "0.05", 64.0, "300", "steps", True, 7, None)
    assert (s.lr, s.batch_size, s.steps, s.epochs, s.seed, s.augment) == (0.05, 64, 300, 0.0, 7, True)
    assert session.parse_settings("Adam", 1e-3, 32, 1.5, "epochs", False).epochs == 1.5


# checkpoint ----------------------------------------------------------------------------------------
def _session_with_a_checkpoint() -> session.StudioSession:
    class _Data:
        x_test = np.zeros((5, 28, 28), np.uint8)

    class _Run:
        data = _Data()
        checkpoints = [(10, {})]

    s = session.new_session()
    s.run = _Run()  # type: ignore[assignment] - only what checkpoint_view reads before drawing
    return s


@pytest.mark.parametrize("index, image, match", [
    (math.nan, 0, "checkpoint must be a finite number"), (0, math.nan, "test image # must be a finite"),
    ([0], 0, "checkpoint must be a number"), (0, "x" * 100_000, "test image # must be a number"),
    (3, 0, "checkpoint must be in 0..0"), (-1, 0, "checkpoint must be ≥ 0"),
    (0, 5, "test image index must be in 0..4"), (0.5, 0, "checkpoint must be a whole number"),
])
def test_checkpoint_index_is_validated(index, image, match: str) -> None:  # noqa: ANN001
    with pytest.raises(gr.Error) as info:
        ui.checkpoint(_session_with_a_checkpoint(), index, image)
    assert match in info.value.message
    _short_and_clear(info.value.message)


def test_checkpoint_without_training_still_says_so() -> None:
    with pytest.raises(gr.Error, match="train a network first"):
        ui.checkpoint(session.new_session(), math.nan, 0)


# transfer ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, name", [
    ((["x"], 20, 32, 1e-3), "task"), ((None, 20, 32, 1e-3), "task"),
    ((0, [], 32, 1e-3), "training seconds"), ((0, 20, [], 1e-3), "batch size"),
    ((0, 20, {"path": None}, 1e-3), "batch size"), ((0, 20, 32, "abc"), "learning rate"),
    ((0, math.nan, 32, 1e-3), "training seconds"), ((0, 20, 10**6, 1e-3), "batch size"),
])
def test_transfer_names_the_wrong_setting(args, name: str) -> None:  # noqa: ANN001
    from playground.studio import transfer

    task = transfer.TASKS[0] if args[0] == 0 else args[0]
    with pytest.raises(gr.Error) as info:
        next(ui.transfer_stream(session.new_session(), task, *args[1:]))
    assert info.value.message.startswith(name), info.value.message
    _short_and_clear(info.value.message)


def test_unexpected_errors_do_not_show_python_internals() -> None:
    msg = ui._err(TypeError("unhashable type: 'list'")).message
    _short_and_clear(msg)
    assert "TypeError" not in msg and "unhashable" not in msg


# augmentation --------------------------------------------------------------------------------------
AUG = dict(size=64, crop_padding=4, rrc_scale=0, hflip=True, vflip=False, rotation=15, translate=0,
           scale=0, shear=0, jitter=0.3, blur_sigma=0, normalize="ImageNet", n=4, seed=0)


@pytest.mark.parametrize("key, bad, name", [
    ("size", math.nan, "size"), ("n", [3], "number of samples"), ("seed", math.inf, "seed"),
    ("normalize", ["ImageNet"], "Normalize"), ("normalize", "x" * 100_000, "Normalize"),
    ("rotation", {"a": 1}, "rotation"), ("crop_padding", 2.5, "crop padding"),
])
def test_augment_settings_name_the_setting(key: str, bad, name: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError) as info:
        augment.settings_from_ui(**(AUG | {key: bad}))
    assert str(info.value).startswith(name)
    _short_and_clear(str(info.value))


def test_augment_settings_valid_values_unchanged() -> None:
    s = augment.settings_from_ui(**(AUG | {"normalize": "off", "size": 64.0}))
    assert s == augment.AugSettings(size=64, crop_padding=4, hflip=True, rotation=15.0, jitter=0.3,
                                    normalize="", n=4, seed=0)


@pytest.mark.parametrize("data, match", [(b"", "empty"), (b"plain text", "not an image"),
                                         (b"\xff\xd8\xff\xe0" + b"\0" * 40, "not an image|corrupt")])
def test_augment_explains_a_corrupt_upload(tmp_path: Path, data: bytes, match: str) -> None:
    import re

    f = tmp_path / "upload.jpg"
    f.write_bytes(data)
    with pytest.raises(gr.Error) as info:
        ui.augment_preview(str(f), *AUG.values())
    assert re.search(match, info.value.message), info.value.message
    _short_and_clear(info.value.message)


def test_augment_sample_refuses_a_list() -> None:
    with pytest.raises(gr.Error) as info:
        ui.sample_image(["house"])
    assert info.value.message.startswith("sample must be one of house")


def test_augment_tab_uses_a_lenient_filepath_image() -> None:
    from playground.ui.components import LenientImage

    with gr.Blocks() as demo:
        ui._augment_tab()
    fn = next(f for f in demo.fns.values() if f.api_name == "augment")
    image = fn.inputs[0]
    assert isinstance(image, LenientImage) and image.type == "filepath"

