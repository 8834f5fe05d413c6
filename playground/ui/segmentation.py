"""Segmentation tab: U-Net on brain MRI and EM membranes, and the vision-task taxonomy canvas.

Events (all with ``api_name``): ``segment`` (public API: image + dataset [+ held-out example] ->
overlay, mask, truth, probability map, metrics JSON, notes), ``seg_features`` (feature maps of
the last image, after a successful run), ``seg_cleared`` (after a failed run: every result
emptied), ``seg_opacity`` (re-blend the overlay), ``seg_examples`` / ``seg_model_card``
(on dataset change), ``seg_example_preview``, ``seg_clear_example``, ``unet_architecture``,
``digit_scene`` (public API: drawn scene -> six views + JSON), ``seg_select_brush``.
Callbacks only call :mod:`playground.seg.view` and turn ``ValueError`` into ``gr.Error``.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground.seg import view
from playground.seg.inference import DATASETS
from playground.ui.components import LenientImage, LenientSketchpad

CANVAS = (512, 256)
BRUSH_RADIUS = 7  # a 14 px brush: digits ~140 px tall get MNIST's stroke-to-height ratio (~1/10)
SELECT_BRUSH_JS = """() => { let n = 0; const t = setInterval(() => {
  const b = document.querySelector('#seg-sketchpad button[aria-label="Brush"]');
  if (b || ++n > 50) { clearInterval(t); if (b && !b.classList.contains('highlight')) b.click(); }
}, 150); }"""


def _err(fn, *args):  # noqa: ANN001, ANN202 - tiny adapter
    try:
        return fn(*args)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None


def segment(image: Any, dataset: str, example: str | None, opacity: float) -> tuple:
    """Image file (or a held-out example's name) -> overlay, mask, truth, prob, metrics, notes, state."""
    return _err(view.segment, image, dataset, example, opacity)


def seg_features(state: dict | None) -> list:
    """Feature maps of the last segmented image."""
    return _err(view.features, state)


def seg_cleared() -> tuple:
    """What a failed run leaves: every result empty, so none is mistaken for the bad input's.

    The error toast says what was wrong; the overlay, mask, truth, probability map, metrics, notes,
    state and feature maps of the image before it are cleared."""
    return (None, None, None, None, None, "", None, [])


def seg_opacity(state: dict | None, opacity: float) -> Any:
    """Re-blend the overlay."""
    return _err(view.reblend, state, opacity)


def seg_examples(dataset: str) -> tuple[Any, str]:
    """New example list and model card for the chosen dataset."""
    choices = _err(view.example_choices, dataset)
    return gr.update(choices=choices, value=None), view.model_card(dataset)


def seg_example_preview(dataset: str, example: str | None) -> Any:
    """Show the chosen example in the image box (as an image: Gradio serves no data-dir path)."""
    if not example:
        return gr.update()
    return _err(view.example_image, dataset, example)


def unet_architecture(which: str, side: float) -> str:
    """Layer table of a U-Net."""
    return _err(view.architecture, which, side)


def digit_scene(drawing: Any) -> tuple:
    """Sketchpad value -> six views (gallery), JSON, summary."""
    return _err(view.digit_scene, drawing)


def build_segmentation() -> None:
    """Lay out the Segmentation tab and wire its events."""
    gr.Markdown(
        "**U-Net** (Ronneberger et al. 2015): a contracting path (double 3×3 conv + ReLU, 2×2 "
        "max-pool, channels double) and an expanding path (2×2 up-convolution halving the "
        "channels, concatenated with the matching **skip connection**, double conv), ending in a "
        "1×1 conv to the classes. Inputs of any size are padded to a multiple of 2^depth and the "
        "output is cropped back, so the mask has the input's size.", elem_id="seg-intro")
    with gr.Tab("Medical and EM", id="seg-medical"):
        gr.Markdown(view.data_status(), elem_id="seg-data-status")
        with gr.Row():
            with gr.Column(scale=2):
                dataset = gr.Radio([(v, k) for k, v in DATASETS.items()], value="lgg", label="Dataset / model",
                                   elem_id="seg-dataset")
                example = gr.Dropdown(choices=view.example_choices("lgg"), value=None, allow_custom_value=False,
                                      label="Held-out example (patients / images never trained on)",
                                      elem_id="seg-example")
                image = LenientImage(label="…or upload an image (any size; RGB or greyscale)", type="filepath",
                                 sources=["upload", "clipboard"], elem_id="seg-upload", height=280)
                opacity = gr.Slider(0.0, 1.0, value=view.DEFAULT_OPACITY, step=0.05,
                                    label="Mask overlay opacity", elem_id="seg-opacity")
                run = gr.Button("Segment", variant="primary", elem_id="seg-run")
                card = gr.Markdown(view.model_card("lgg"), elem_id="seg-model-card")
            with gr.Column(scale=3):
                with gr.Row():
                    over = gr.Image(label="Prediction overlay (red; truth outlined in green)", type="pil",
                                    format="png", interactive=False, elem_id="seg-overlay")
                    prob = gr.Image(label="Probability map (0 black … 1 white-yellow)", type="pil",
                                    format="png", interactive=False, elem_id="seg-prob")
                with gr.Row():
                    mask = gr.Image(label="Predicted mask", type="pil", format="png", interactive=False,
                                    elem_id="seg-mask")
                    truth = gr.Image(label="Ground truth (held-out examples only)", type="pil",
                                     format="png", interactive=False, elem_id="seg-truth")
                metrics = gr.JSON(label="Metrics (Dice, IoU, pixel error when the truth is known)",
                                  elem_id="seg-metrics")
                notes = gr.Markdown(elem_id="seg-notes")
        gallery = gr.Gallery(label="Feature maps: encoder levels, bottleneck, up-convs, decoder levels "
                                   "(first channels of each; captions give shapes and what each skip carries)",
                             columns=3, height="auto", object_fit="contain", format="png",
                             elem_id="seg-features")
        with gr.Accordion("Architecture: layer by layer (the paper's U-Net is one click away)", open=False):
            with gr.Row():
                which = gr.Dropdown([("The paper: 23 conv layers, 572×572 → 388×388", "paper"),
                                     ("LGG model", "lgg"), ("EM model", "em"), ("Digit-scene model", "digits")],
                                    value="paper", label="U-Net", elem_id="seg-arch-which")
                side = gr.Number(value=572, precision=0, minimum=1, maximum=4096, label="Input side",
                                 elem_id="seg-arch-side")
                show = gr.Button("Show layers", elem_id="seg-arch-show")
            arch = gr.Markdown(elem_id="seg-arch-table")
    state = gr.State(None)

    with gr.Tab("Taxonomy canvas", id="seg-taxonomy") as tax_tab:
        gr.Markdown("Draw **several digits** side by side (leave a gap between them), then press "
                    "*Analyse*. The same scene is shown six ways. A U-Net trained on MNIST scenes "
                    "predicts the semantic mask; instances are its connected components (not learned).",
                    elem_id="seg-taxonomy-intro")
        with gr.Row():
            with gr.Column(scale=3):
                sketch = LenientSketchpad(label="Draw digits", type="numpy", canvas_size=CANVAS, fixed_canvas=True,
                                      brush=gr.Brush(default_size=BRUSH_RADIUS, colors=["#000000"],
                                                     color_mode="fixed"),
                                      layers=False, transforms=(), elem_id="seg-sketchpad",
                                      height=CANVAS[1] + 160)
                analyse = gr.Button("Analyse", variant="primary", elem_id="seg-scene-run")
            with gr.Column(scale=2):
                summary = gr.Markdown(elem_id="seg-scene-summary")
                data = gr.JSON(label="The six views' data (boxes x0, y0, x1, y1; masks as PNG)",
                               elem_id="seg-scene-json")
        views = gr.Gallery(label="Classification · Localisation · Detection · Semantic · Instance · Panoptic",
                           columns=3, height="auto", object_fit="contain", format="png", elem_id="seg-views")

    outs = [over, mask, truth, prob, metrics, notes, state]
    ran = run.click(segment, [image, dataset, example, opacity], outs, api_name="segment")
    ran.success(seg_features, state, gallery, api_name="seg_features")
    ran.failure(seg_cleared, None, [*outs, gallery], api_name="seg_cleared", queue=False)
    opacity.change(seg_opacity, [state, opacity], over, api_name="seg_opacity", show_progress="hidden")
    dataset.change(seg_examples, dataset, [example, card], api_name="seg_examples")
    example.change(seg_example_preview, [dataset, example], image, api_name="seg_example_preview")
    image.upload(lambda: None, None, example, api_name="seg_clear_example")
    show.click(unet_architecture, [which, side], arch, api_name="unet_architecture")
    analyse.click(digit_scene, sketch, [views, data, summary], api_name="digit_scene")
    tax_tab.select(None, None, None, js=SELECT_BRUSH_JS, api_name="seg_select_brush")
