"""Digits tab: draw a digit (or upload a photo of one) for LeNet-5 and see inside the network.

Events (all with ``api_name``): ``classify_sketch`` (live, as the sketchpad changes),
``classify_digit`` (an uploaded image file; the public API), ``digits_model_card`` (on opening the
model card). The callbacks only call :mod:`playground.digits.view` / :mod:`playground.digits.card`
and turn ``ValueError`` into ``gr.Error``.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground.digits import card, view
from playground.ui.components import LenientImage, LenientSketchpad

CANVAS = 280
SELECT_BRUSH_JS = """() => { let n = 0; const t = setInterval(() => {
  const pad = document.querySelector('#digits-sketchpad');
  const brush = pad && pad.querySelector('button[aria-label="Brush"]');
  const active = pad && pad.querySelector('button[aria-label="Brush Size"]');
  if (active || ++n > 60) { clearInterval(t); return; }
  if (brush && n % 4 === 1) brush.click();
}, 150); }"""
BRUSH_RADIUS = 10  # a 20 px wide brush on a 280 px canvas: a 200 px tall digit, scaled to 20 px,
# gets MNIST's ~2 px wide strokes (gr.Brush's default_size is a radius)


def classify_sketch(value: Any) -> tuple[Any, ...]:
    """Sketchpad value (``{"background", "layers", "composite"}``, or the path of an upload Gradio
    could not decode) → the tab's outputs."""
    try:
        return view.classify(value).as_tuple()
    except ValueError as exc:
        raise gr.Error(str(exc)) from None


def classify_digit(image: Any) -> tuple[Any, ...]:
    """An image file (path) → the tab's outputs; the first is the ``gr.Label`` of LeNet-5."""
    try:
        return view.classify(image).as_tuple()
    except ValueError as exc:
        raise gr.Error(str(exc)) from None


def model_card() -> tuple[Any, ...]:
    """The model card's summary, layer tables, figures and filter images."""
    try:
        return card.model_card()
    except ValueError as exc:
        raise gr.Error(str(exc)) from None


def build_digits() -> None:
    """Lay out the Digits tab and wire its events."""
    gr.Markdown(
        "Draw a digit with the mouse or a finger. **LeNet-5** (61,706 parameters, trained on real "
        "MNIST) classifies it as you draw; the **MLP** baseline (784→300→10) answers beside it. "
        "Your drawing is prepared exactly as MNIST was: cropped to the ink, longer side scaled to "
        "20 px, centred by centre of mass in 28×28, normalised with mean 0.1307 and std 0.3081.",
        elem_id="digits-intro")
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Tabs():
                with gr.Tab("Draw", id="digits-draw"):
                    sketch = LenientSketchpad(
                        label="Draw a digit", type="numpy", canvas_size=(CANVAS, CANVAS),
                        fixed_canvas=True, brush=gr.Brush(default_size=BRUSH_RADIUS, colors=["#000000"],
                                                          color_mode="fixed"),
                        layers=False, transforms=(), elem_id="digits-sketchpad", height=CANVAS + 160)
                with gr.Tab("Upload", id="digits-upload-tab"):
                    upload = LenientImage(label="Photo of a digit (dark on light or light on dark)",
                                          type="filepath", sources=["upload", "clipboard"],
                                          elem_id="digits-upload", height=300)
        with gr.Column(scale=3):
            lenet = gr.Label(value=view.PROMPT, num_top_classes=10, label="LeNet-5: probabilities",
                             elem_id="digits-lenet")
        with gr.Column(scale=2):
            mlp = gr.Label(value="—", num_top_classes=3, label="MLP 784→300→10", elem_id="digits-mlp")
            status = gr.Markdown(view.blank().status, elem_id="digits-status")
    gr.Markdown("### What the model sees")
    with gr.Row():
        seen28 = gr.Image(label="28×28, as MNIST (MLP input)", type="pil", format="png",
                          interactive=False, elem_id="digits-seen28", height=300)
        seen32 = gr.Image(label="32×32, padded by 2 (LeNet-5 input)", type="pil", format="png",
                          interactive=False, elem_id="digits-seen32", height=300)
    with gr.Accordion("Inside LeNet-5: every layer's output", open=True):
        with gr.Row():
            conv = gr.Image(label="convolutions (after ReLU)", type="pil", format="png",
                            interactive=False, elem_id="digits-conv")
            pool = gr.Image(label="max-pooling", type="pil", format="png", interactive=False,
                            elem_id="digits-pool")
        fc = gr.Image(label="fully connected layers", type="pil", format="png", interactive=False,
                      elem_id="digits-fc")
    with gr.Accordion("Model card: parameters, training curves, per-class accuracy, filters",
                      open=False) as card_box:
        summary = gr.Markdown(elem_id="digits-card-summary")
        with gr.Row():
            table = gr.Markdown(elem_id="digits-card-layers")
            with gr.Column():
                f1 = gr.Image(label="learned conv1 filters", type="pil", format="png",
                              interactive=False, elem_id="digits-filters1")
                f2 = gr.Image(label="learned conv2 filters", type="pil", format="png",
                              interactive=False, elem_id="digits-filters2")
        curves = gr.Plot(label="training curves", elem_id="digits-curves")
        per_class = gr.Plot(label="per-class accuracy and confusion matrix", elem_id="digits-classes")

    outputs = [lenet, mlp, status, seen28, seen32, conv, pool, fc]
    parent = gr.context.Context.block  # the app's "Digits" tab: select the brush when it opens
    if isinstance(parent, gr.Tab):
        parent.select(None, None, None, js=SELECT_BRUSH_JS, api_name="digits_select_brush")
    sketch.change(classify_sketch, sketch, outputs, api_name="classify_sketch",
                  trigger_mode="always_last", show_progress="hidden")
    upload.change(classify_digit, upload, outputs, api_name="classify_digit",
                  trigger_mode="always_last", show_progress="minimal")
    card_box.expand(model_card, None, [summary, table, curves, per_class, f1, f2],
                    api_name="digits_model_card")
