"""CIFAR-10 tab: VGG and ResNet side by side, with Grad-CAM, feature maps and model cards.

Layout and wiring only; the work is in :mod:`playground.cifar.service`.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground.cifar import data, service
from playground.ui.components import LenientImage

MODES = [("32×32 resize of the whole image", "resize"), ("centre crop, then 32×32", "crop")]
STAGES = [("last conv stage (stage3, default)", "stage3"), ("stage2", "stage2"), ("stage1", "stage1")]
KEYS = {"VGG": "vgg", "ResNet": "resnet"}


def _empty() -> list[Any]:
    out: list[Any] = [None, "", ""]
    for _ in KEYS:
        out += [None, None, None]
    return out


def analyze_cb(source: Any, mode: str, stage: str) -> list[Any]:
    """Seen image, note, agreement banner, then per model: top-5, Grad-CAM, feature maps."""
    if source is None:
        return _empty()
    try:
        res = service.analyze(source, mode, stage)
    except ValueError as e:
        raise gr.Error(str(e)) from None
    out: list[Any] = [res.seen, res.note, res.agreement_html]
    for disp in KEYS:
        v = res.views.get(disp)
        out += [v.label, v.cam, v.features] if v else [None, None, None]
    return out


def classify_cb(file: Any, mode: str = "resize") -> dict[str, Any]:
    """API: top-5 labels with probabilities for each model (and the Grad-CAM summary)."""
    try:
        return service.classify_json(file, "resize" if mode in (None, "") else mode)
    except ValueError as e:
        raise gr.Error(str(e)) from None


class Selection(gr.SelectData):
    """``gr.SelectData`` that tolerates a call without a click: an API call of
    ``/select_cifar_test_image`` carries no (or odd) event data, which ``gr.SelectData`` itself
    cannot read (``TypeError`` before the callback runs). ``index`` is then ``None``."""

    def __init__(self, target: Any, data: Any) -> None:
        base = {"index": None, "value": None}
        super().__init__(target, {**base, **data} if isinstance(data, dict) else base)


def select_cb(evt: Selection) -> tuple[Any, str]:
    """A gallery click: load that test image into the input (an API call has no click: ``None``)."""
    try:
        return service.gallery_image(getattr(evt, "index", None))
    except (ValueError, FileNotFoundError) as e:
        raise gr.Error(str(e)) from None


def random_cb() -> tuple[Any, str]:
    """A random test image into the input."""
    try:
        return service.random_test_image()
    except (ValueError, FileNotFoundError) as e:
        raise gr.Error(str(e)) from None


def cards_cb() -> list[Any]:
    """Model cards (computed on first expand, cached): text, curves, confusion, hardest images."""
    out: list[Any] = []
    for disp in KEYS:
        curves, conf = service.card_images(disp)
        out += [service.card_markdown(disp), curves, conf, service.hardest_items(disp)]
    return out


def cifar_gallery() -> list[Any]:
    """The test-image gallery (empty without the data directory)."""
    return service.gallery_items()


def _cards() -> None:
    with gr.Accordion("Model cards: size, accuracy, training curves, confusion, hardest test images",
                      open=False, elem_id="cifar-cards") as acc:
        outs: list[Any] = []
        with gr.Row():
            for disp, key in KEYS.items():
                with gr.Column():
                    outs += [
                        gr.Markdown(elem_id=f"cifar-{key}-card"),
                        gr.Image(label=f"{disp}: training curves", interactive=False, elem_id=f"cifar-{key}-curves"),
                        gr.Image(label=f"{disp}: per-class accuracy and confusion matrix", interactive=False,
                                 elem_id=f"cifar-{key}-confusion"),
                        gr.Gallery(label=f"{disp}: hardest test images (most confidently wrong: true → "
                                   "predicted, confidence)", columns=6, height=220, allow_preview=False,
                                   elem_id=f"cifar-{key}-hardest"),
                    ]
    acc.expand(cards_cb, None, outs, api_name="cifar_model_cards")


def build_cifar() -> None:
    """Lay out the tab and wire its events."""
    gr.Markdown(
        "Upload any photo (or take one, or paste one), or pick a real CIFAR-10 test image. Two networks "
        "trained by us on CIFAR-10 classify it side by side. Both see only a **32×32** image (shown "
        "below the upload) and average their logits over the image and its mirror image, as in their "
        "test evaluation. Grad-CAM shows where each model looks; feature maps show what each stage computes."
    )
    with gr.Row():
        with gr.Column(scale=2):
            # image_mode=None: Gradio hands over the file untouched; playground.imageio does 16-bit/alpha/EXIF
            # Lenient: an upload Gradio cannot decode reaches playground.imageio, which says why
            inp = LenientImage(type="filepath", image_mode=None, sources=["upload", "webcam", "clipboard"],
                               label="Your image (any size or format)", height=280, elem_id="cifar-input")
            mode = gr.Radio(MODES, value="resize", label="What the model sees", elem_id="cifar-mode")
            stage = gr.Dropdown(STAGES, value="stage3", label="Grad-CAM target layer", elem_id="cifar-stage")
        with gr.Column(scale=1):
            seen = gr.Image(label="What the model sees (32×32, enlarged)", interactive=False, height=180,
                            elem_id="cifar-seen")
            note = gr.Markdown(elem_id="cifar-note")
            truth = gr.Markdown(elem_id="cifar-truth")
        with gr.Column(scale=3):
            have_data = data.cifar_dir() is not None
            gallery = gr.Gallery(cifar_gallery if have_data else None, label="CIFAR-10 test images (click one)",
                                 columns=8, height=300, allow_preview=False, elem_id="cifar-gallery")
            rnd = gr.Button("Random test image", elem_id="cifar-random", interactive=have_data)
            if not have_data:
                gr.Markdown(data.DATA_HINT, elem_id="cifar-data-hint")
    agree = gr.HTML(elem_id="cifar-agreement")
    outs: list[Any] = [seen, note, agree]
    with gr.Row():
        for disp, key in KEYS.items():
            with gr.Column():
                gr.Markdown(f"### {disp}")
                lab = gr.Label(num_top_classes=5, label=f"{disp}: top-5", elem_id=f"cifar-{key}-top5")
                # JPEG: encoding a heatmap takes ~0.2 ms against ~13 ms for Gradio's default WebP
                cam = gr.Image(label=f"{disp}: Grad-CAM of the predicted class", interactive=False, height=280,
                               format="jpeg",
                               elem_id=f"cifar-{key}-cam")
                feats = gr.Gallery(label=f"{disp}: feature maps after each stage (16 most active channels)",
                                   format="jpeg",
                                   columns=1, height=440, object_fit="contain", allow_preview=True,
                                   elem_id=f"cifar-{key}-features")
                outs += [lab, cam, feats]
    _cards()

    # API-only endpoint: a File input, so that any upload reaches our loader (clear messages)
    with gr.Row(visible=False):
        api_file = gr.File(label="image file")
        api_mode = gr.Textbox(value="resize", label="preprocess: resize or crop")
        api_out = gr.JSON()
        api_btn = gr.Button("classify")
    api_btn.click(classify_cb, [api_file, api_mode], api_out, api_name="classify_cifar")

    gr.on([inp.change, mode.change, stage.change], analyze_cb, [inp, mode, stage], outs, api_name="analyze_cifar")
    inp.upload(lambda: "", None, truth, api_name="clear_cifar_truth", queue=False)
    gallery.select(select_cb, None, [inp, truth], api_name="select_cifar_test_image")
    rnd.click(random_cb, None, [inp, truth], api_name="random_cifar_test_image")
