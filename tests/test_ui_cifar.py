"""CIFAR-10 tab: callbacks as functions, the /classify_cifar API, bad inputs, no data directory."""

from __future__ import annotations

import random
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground.cifar import data, inference, service
from playground.ui import cifar as ui
from tests.upload_corpus import ERROR_WORDS, EXPECT, build_corpus

BAD = ["tiny_1x1", "photo_50mp", "gray16", "rgba", "animated_gif", "truncated_jpeg", "text_as_png",
       "bomb", "empty"]


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 200×120 JPEG made from a real CIFAR test image (upscaled, then widened)."""
    x, _ = data.load_split("test")
    img = Image.fromarray(np.array(x[3])).resize((120, 120), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (200, 120), (128, 128, 128))
    canvas.paste(img, (40, 0))
    p = tmp_path_factory.mktemp("cifar") / "photo.jpg"
    canvas.save(p, quality=92)
    return p


def test_analyze_callback(photo: Path) -> None:
    out = ui.analyze_cb(str(photo), "crop", "stage2")
    seen, note, banner = out[:3]
    assert seen.size == (160, 160) and "200×120" in note and "centre crop" in note
    assert "agree" in banner
    for k in range(len(ui.KEYS)):
        label, cam, feats = out[3 + 3 * k: 6 + 3 * k]
        assert len(label) == 5 and all(0 <= p <= 1 for p in label.values())
        assert list(label.values()) == sorted(label.values(), reverse=True)
        assert cam.size == (256, 154)  # the 200×120 upload, enlarged for display
        assert len(feats) == 3 and "stage3" in feats[2][1]


def test_analyze_none_clears() -> None:
    out = ui.analyze_cb(None, "resize", "stage3")
    assert out[0] is None and len(out) == 3 + 3 * len(ui.KEYS)


def test_prediction_is_flip_average_of_logits() -> None:
    """The app's probabilities are softmax((f(x) + f(mirror x)) / 2), as in the evaluation."""
    import torch

    x, _ = data.load_split("test")
    img = np.array(x[7])
    for name in inference.MODELS.values():
        model, _ = inference.load_model(name)
        t = inference.to_tensor(img)
        with torch.no_grad():
            want = torch.softmax(0.5 * (model(t) + model(t.flip(-1)))[0], 0).numpy()
        np.testing.assert_allclose(inference.predict(name, img).probs, want, rtol=1e-4, atol=1e-6)


def test_test_image_selection_and_random() -> None:
    img, caption = service.test_image(5)
    assert img.size == (32, 32) and "true label" in caption
    idx = service.gallery_indices()
    assert len(idx) == 10 * service.GALLERY_PER_CLASS
    img, caption = service.random_test_image(random.Random(0))
    assert img.size == (32, 32)
    # a 32×32 test image is passed to the model unchanged
    assert np.array_equal(np.asarray(inference.prepare(img, "resize").small), np.asarray(img))
    with pytest.raises(ValueError, match="index"):
        service.test_image(10_000)


def test_model_cards() -> None:
    for disp in ui.KEYS:
        md = service.card_markdown(disp)
        assert "parameters" in md and "Test accuracy" in md and "MACs" in md
        curves, conf = service.card_images(disp)
        assert curves.size[0] > 200 and conf.size[0] > 200
        assert len(service.hardest_items(disp)) == 12


def test_no_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data.config, "data_dir", lambda explicit=None: None)
    assert data.cifar_dir() is None
    assert service.gallery_items() == [] and service.hardest_items("VGG") == []
    with pytest.raises(ValueError, match="CIFAR-10 was not found"):
        service.random_test_image()
    with gr.Blocks() as demo:
        ui.build_cifar()
    cfg = demo.get_config_file()
    texts = " ".join(str(c.get("props", {}).get("value")) for c in cfg["components"])
    assert "CIFAR-10 was not found" in texts


def test_events_have_api_names() -> None:
    with gr.Blocks() as demo:
        ui.build_cifar()
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"classify_cifar", "analyze_cifar", "select_cifar_test_image", "random_cifar_test_image"} <= names
    assert all(fn.api_name and not str(fn.api_name).startswith("lambda") for fn in demo.fns.values())


def test_classify_cifar_api(client, photo: Path) -> None:  # noqa: ANN001
    from gradio_client import handle_file

    res = client.predict(handle_file(str(photo)), "resize", api_name="/classify_cifar")
    for disp in ("VGG", "ResNet"):
        top5 = res[disp]["top5"]
        assert len(top5) == 5 and {"label", "probability"} <= set(top5[0])
        probs = [t["probability"] for t in top5]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
        assert top5[0]["label"] in data.CLASSES and res[disp]["gradcam"]["stage"] == "stage3"
    assert isinstance(res["agree"], bool)


def test_bad_inputs_through_api(client, tmp_path: Path) -> None:  # noqa: ANN001
    """Each file gets predictions or a clear message; the server keeps answering."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    corpus = build_corpus(tmp_path, BAD)
    txt = tmp_path / "notes.txt"
    txt.write_text("this is not an image\n")
    corpus["text_file"] = txt
    for name, path in corpus.items():
        t = time.perf_counter()
        try:
            res = client.predict(handle_file(str(path)), "resize", api_name="/classify_cifar")
        except AppError as e:
            msg = str(e).lower()
            assert EXPECT.get(name, "error") == "error", f"{name}: unexpected error {msg}"
            words = ERROR_WORDS.get(name, ("not an image",))
            assert any(w in msg for w in words), f"{name}: unclear message {msg!r}"
        else:
            assert EXPECT[name] == "ok", f"{name} should have been refused"
            assert len(res["VGG"]["top5"]) == 5
            if name == "photo_50mp":
                assert "downscaled from 8000×6250" in res["note"]
        assert time.perf_counter() - t < 60, f"{name} took too long"
    assert client.predict(handle_file(str(corpus["tiny_1x1"])), "resize", api_name="/classify_cifar")["VGG"]


def test_analyze_api_handles_odd_uploads(client, tmp_path: Path) -> None:  # noqa: ANN001
    """The tab's own input (gr.Image) passes 16-bit, RGBA and GIF files to our loader untouched."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    corpus = build_corpus(tmp_path, ["gray16", "rgba", "animated_gif", "truncated_jpeg"])
    for name in ("gray16", "rgba", "animated_gif"):
        out = client.predict(handle_file(str(corpus[name])), "resize", "stage3", api_name="/analyze_cifar")
        assert "input" in out[1], name
        assert out[2], name  # the agreement banner
    with pytest.raises(AppError, match="truncated|corrupt"):
        client.predict(handle_file(str(corpus["truncated_jpeg"])), "resize", "stage3", api_name="/analyze_cifar")


# --- hostile API input (issue 8) ---------------------------------------------------------------
def test_select_without_a_click_is_explained() -> None:
    """An API call of select_cifar_test_image has no SelectData: a clear message, no AttributeError."""
    with pytest.raises(ValueError, match="no test image selected"):
        service.gallery_image(None)
    with pytest.raises(gr.Error, match="no test image selected"):
        ui.select_cb(None)  # type: ignore[arg-type]
    # over HTTP Gradio builds the event object from the request's (missing) event data
    for event_data in (None, [], "x", {"index": None}):
        with pytest.raises(gr.Error, match="no test image selected"):
            ui.select_cb(ui.Selection(None, event_data))
    with pytest.raises(gr.Error, match="gallery position"):
        ui.select_cb(ui.Selection(None, {"index": [1, 2], "value": None}))
    for bad in (10**9, -1, "abc", [1], float("nan")):
        with pytest.raises(ValueError, match="gallery position"):
            service.gallery_image(bad)
    img, caption = ui.select_cb(gr.SelectData(None, {"index": 0, "value": None}))
    assert img.size == (32, 32) and f"#{service.gallery_indices()[0]}" in caption


def test_mode_messages_are_short(photo: Path) -> None:
    for mode in ("x" * 20_000, ["crop"], 5):
        with pytest.raises(gr.Error, match="preprocess must be one of") as info:
            ui.classify_cb(str(photo), mode)  # type: ignore[arg-type]
        assert len(str(info.value.message)) < 200
    with pytest.raises(gr.Error, match="preprocess must be one of"):
        ui.analyze_cb(str(photo), "x" * 20_000, "stage3")
    assert ui.classify_cb(str(photo), "")["preprocess"] == "resize"


def test_analyze_input_is_lenient() -> None:
    """A corrupt upload must reach playground.imageio (clear message), not gr.Image's decoder."""
    from playground.ui.components import LenientImage

    with gr.Blocks() as demo:
        ui.build_cifar()
    inputs = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "cifar-input"]
    assert len(inputs) == 1 and isinstance(inputs[0], LenientImage)
