"""Layer Lab tab: what a convolution or pooling layer does to a tensor, as numbers, formulas and
pictures. Layout and event wiring only; the callbacks live in :mod:`playground.layerlab.callbacks`.

Named endpoints (all callable with gradio_client): ``/layer_summary``, ``/layer_controls``,
``/send_to_paste``, ``/analyze`` (+ ``/analyze_table``), ``/feature_maps``, ``/use_upload``,
``/use_drawing``, ``/separable``, ``/sliding_window``, ``/sliding_play``, ``/sliding_tick``,
``/sliding_stop``, ``/volume``, ``/volume_play``, ``/volume_tick``, ``/volume_stop``,
``/example_<key>`` and ``/ping`` (an empty endpoint for the latency benchmark).
"""

from __future__ import annotations

import gradio as gr

from playground import limits
from playground.layerlab import callbacks as cb
from playground.layerlab import controls as ctl
from playground.layerlab.examples import EXAMPLES
from playground.layerlab.features import ACTIVATIONS, POOLS
from playground.layerlab.kernels import PRESET_NAMES
from playground.layerlab.volume import default_volume, filters_to_text, volume_to_text
from playground.samples.make_samples import NAMES as SAMPLE_NAMES
from playground.ui.components import LenientImage, LenientNumber, LenientSketchpad, StepSlider

_DEFAULT_GRID = "\n".join(" ".join(str((r * 6 + c) % 7) for c in range(6)) for r in range(6))


def _num(label: str, value: float, name: str, **kw) -> gr.Number:
    return LenientNumber(value=value, label=label, elem_id=f"lab-{name.replace('_', '-')}",
                         min_width=90, **kw)


def _controls() -> dict[str, gr.components.Component]:
    """The hyperparameter controls, keyed by ``ctl.CONTROLS`` names."""
    d = ctl.LabSettings()
    c: dict[str, gr.components.Component] = {}
    rel = ctl.RELEVANT[d.layer]
    with gr.Row():
        c["layer"] = gr.Dropdown(list(ctl.LAYER_TYPES), value=d.layer, label="layer type",
                                 elem_id="lab-layer", scale=2)
        for k, lab in (("n", "batch N"), ("c", "channels C"), ("h", "height H"), ("w", "width W"),
                       ("out_channels", "out channels")):
            c[k] = _num(lab, getattr(d, k), k, visible=k in rel)
    with gr.Row():
        for k, lab in (("kernel_h", "kernel h"), ("kernel_w", "kernel w"), ("stride_h", "stride h"),
                       ("stride_w", "stride w")):
            c[k] = _num(lab, getattr(d, k), k, visible=k in rel)
        c["padding"] = gr.Textbox(d.padding, label="padding", info="n, 'h, w', same or valid",
                                  elem_id="lab-padding", min_width=110)
        for k, lab in (("dilation_h", "dilation h"), ("dilation_w", "dilation w")):
            c[k] = _num(lab, getattr(d, k), k, visible=k in rel)
    with gr.Row():
        c["groups"] = _num("groups", d.groups, "groups", visible=True)
        c["bias"] = gr.Checkbox(d.bias, label="bias", elem_id="lab-bias", min_width=80)
        c["padding_mode"] = gr.Dropdown(list(ctl.PADDING_MODES), value=d.padding_mode,
                                        label="padding_mode", elem_id="lab-padding-mode", min_width=110)
        c["output_padding_h"] = _num("output_padding h", d.output_padding_h, "output_padding_h", visible=False)
        c["output_padding_w"] = _num("output_padding w", d.output_padding_w, "output_padding_w", visible=False)
        c["ceil_mode"] = gr.Checkbox(d.ceil_mode, label="ceil_mode", visible=False, elem_id="lab-ceil-mode")
        c["count_include_pad"] = gr.Checkbox(d.count_include_pad, label="count_include_pad",
                                             visible=False, elem_id="lab-count-include-pad")
        c["divisor_override"] = _num("divisor_override (0 = none)", d.divisor_override,
                                     "divisor_override", visible=False)
        c["output_size"] = gr.Textbox(d.output_size, label="output_size", info="n or 'h, w' (None keeps)",
                                      visible=False, elem_id="lab-output-size")
    return c


def _player(label: str, elem: str) -> tuple[StepSlider, gr.Button, gr.Button, gr.Timer, gr.State]:
    with gr.Row():
        step = StepSlider(0, 1, value=0, step=1, label=label, elem_id=f"{elem}-step", scale=4)
        play = gr.Button("▶ play", elem_id=f"{elem}-play", scale=1, min_width=80)
        stop = gr.Button("■ stop", elem_id=f"{elem}-stop", scale=1, min_width=80)
    return step, play, stop, gr.Timer(0.7, active=False), gr.State(1)


def _wire_player(name: str, step, play, stop, timer, n_state) -> None:
    play.click(cb.play, [step, n_state], [step, timer], api_name=f"{name}_play")
    stop.click(cb.stop, None, timer, api_name=f"{name}_stop")
    timer.tick(cb.tick, [step, n_state], [step, timer], api_name=f"{name}_tick")


def build_layer_lab() -> None:
    """Lay out the Layer Lab and wire its events (every event has an ``api_name``)."""
    gr.Markdown("Choose a layer and its hyperparameters: the output shape, PyTorch's formula with "
                "your numbers, the parameter count and the MACs update as you type. Invalid settings "
                "are explained, never silently fixed.")
    c = _controls()
    inputs = [c[n] for n in ctl.CONTROLS]
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            shape_md = gr.Markdown(elem_id="lab-output-shape")
            err = gr.HTML(elem_id="lab-error")
            formula_md = gr.Markdown(elem_id="lab-formula")
        with gr.Column(scale=2):
            counts_md = gr.Markdown(elem_id="lab-counts")
            code = gr.Code(language="python", label="equivalent PyTorch", elem_id="lab-code",
                           interactive=False)
            to_paste = gr.Button("Send to “Paste PyTorch”", size="sm", elem_id="lab-send")
    summary_out = [shape_md, formula_md, counts_md, code, err]
    gr.on([x.change for x in inputs], cb.lab_summary, inputs, summary_out, api_name="layer_summary",
          trigger_mode="always_last", show_progress="hidden")
    c["layer"].change(cb.layer_controls, c["layer"], [c[n] for n in ctl.CONTROLS[1:]],
                      api_name="layer_controls", show_progress="hidden")

    with gr.Tabs(elem_id="lab-views"):
        with gr.Tab("Feature maps", id="lab-features"):
            with gr.Row():
                with gr.Column(scale=2):
                    source = gr.Radio(list(cb.SOURCES), value="sample", label="picture from",
                                      elem_id="feat-source")
                    sample = gr.Dropdown(list(SAMPLE_NAMES), value="house", label="built-in sample",
                                         elem_id="feat-sample")
                    with gr.Tabs():
                        with gr.Tab("upload / paste"):
                            upload = LenientImage(sources=["upload", "clipboard"], type="filepath", image_mode=None,
                                              label="your picture", elem_id="feat-upload", height=220)
                        with gr.Tab("draw"):
                            sketch = LenientSketchpad(label="drawing", canvas_size=(256, 256),
                                                      elem_id="feat-sketch", type="numpy", height=300)
                with gr.Column(scale=3):
                    presets = gr.CheckboxGroup(list(PRESET_NAMES), value=["sobel x", "sobel y", "sharpen",
                                                                          "gaussian"],
                                               label="kernel presets", elem_id="feat-presets")
                    with gr.Row():
                        custom = gr.Textbox("", label="custom kernel (Enter to apply)", lines=3,
                                            placeholder="0 -1 0\n-1 5 -1\n0 -1 0", elem_id="feat-custom")
                        with gr.Column(min_width=140):
                            n_random = gr.Slider(0, limits.MAX_FEATURE_KERNELS, value=0, step=1,
                                                 label="random kernels (size = kernel h×w)",
                                                 elem_id="feat-random")
                            seed = LenientNumber(0, label="seed", elem_id="feat-seed")
                    with gr.Row():
                        activation = gr.Dropdown(list(ACTIVATIONS), value="relu", label="then activation",
                                                 elem_id="feat-activation")
                        pool = gr.Dropdown(list(POOLS), value="max", label="then pooling 2×2",
                                           elem_id="feat-pool")
                        cmap = gr.Dropdown(["viridis", "gray", "coolwarm", "magma"], value="viridis",
                                           label="colour map", elem_id="feat-cmap")
            feat_err = gr.HTML(elem_id="feature-error")
            feat_notes = gr.Markdown(elem_id="feature-notes")
            img_in = gr.Image(label="input and padded input", type="pil", format="jpeg",
                              elem_id="feature-input", interactive=False)
            img_maps = gr.Image(label="feature maps (each with its own colour scale)", type="pil",
                                format="jpeg", elem_id="feature-maps", interactive=False)
            img_after = gr.Image(label="after activation / pooling", type="pil", format="jpeg",
                                 elem_id="feature-after", interactive=False)
            with gr.Accordion("kernel values", open=False):
                kern_html = gr.HTML(elem_id="feature-kernels")
        with gr.Tab("Sliding window", id="lab-sliding"):
            gr.Markdown(f"Uses the layer, kernel size, stride, padding and dilation above on a small "
                        f"grid (up to {limits.MAX_GRID_SIDE}×{limits.MAX_GRID_SIDE}). Conv2d, "
                        "ConvTranspose2d (zero insertion + padding + stride-1 conv with the flipped "
                        "kernel), MaxPool2d and AvgPool2d (ceil_mode windows shown).")
            with gr.Row():
                grid_text = gr.Textbox(_DEFAULT_GRID, label="input grid (Enter to apply)", lines=6,
                                       elem_id="slide-grid", elem_classes="mono")
                kernel_text = gr.Textbox("", label="kernel values (empty = automatic; Enter to apply)",
                                         lines=4, elem_id="slide-kernel", elem_classes="mono")
                bias = LenientNumber(0, label="bias", elem_id="slide-bias", min_width=90)
            s_step, s_play, s_stop, s_timer, s_n = _player("step (output cell)", "slide")
            slide_html = gr.HTML(elem_id="slide-view")
        with gr.Tab("Multi-channel", id="lab-volume"):
            gr.Markdown("The course's *how convolution kernels work* demo: every output cell is the sum "
                        "over input channels of one dot product per channel, plus the filter's bias.")
            x0, w0, b0 = default_volume()
            with gr.Row():
                vol_text = gr.Textbox(volume_to_text(x0), label="input volume (channels separated by "
                                      "a blank line)", lines=10, elem_id="vol-input", elem_classes="mono")
                filt_text = gr.Textbox(filters_to_text(w0), label="filters (separated by ---)", lines=10,
                                       elem_id="vol-filters", elem_classes="mono")
                with gr.Column(min_width=140):
                    bias_text = gr.Textbox("1, 0", label="biases", elem_id="vol-biases")
                    vol_stride = LenientNumber(2, label="stride", elem_id="vol-stride")
                    vol_pad = LenientNumber(1, label="zero padding", elem_id="vol-padding")
            v_step, v_play, v_stop, v_timer, v_n = _player("step (output cell)", "vol")
            vol_html = gr.HTML(elem_id="vol-view")
        with gr.Tab("Separable kernels", id="lab-separable"):
            gr.Markdown("Sobel x = [1, 2, 1]ᵀ ⊗ [−1, 0, 1]: a column pass then a row pass give the same "
                        "map as the 2-D kernel, with about 2k instead of k² MACs per pixel. Uses the "
                        "picture chosen under *Feature maps*.")
            sep_choice = gr.Radio(list(cb.SEPARABLE_KERNELS), value="sobel x", label="kernel",
                                  elem_id="sep-kernel")
            sep_err = gr.HTML(elem_id="sep-error")
            sep_md = gr.Markdown(elem_id="sep-numbers")
            sep_img = gr.Image(label="one 2-D pass vs two 1-D passes", type="pil", format="jpeg",
                               elem_id="sep-maps", interactive=False)
        with gr.Tab("Paste PyTorch", id="lab-paste"):
            with gr.Row():
                paste_code = gr.Code("nn.Sequential(\n    nn.Conv2d(3, 96, kernel_size=11, stride=4),\n"
                                     "    nn.ReLU(),\n    nn.MaxPool2d(kernel_size=3, stride=2),\n)",
                                     language="python", label="PyTorch (a layer or nn.Sequential)",
                                     elem_id="paste-code", interactive=True, scale=3)
                with gr.Column(scale=1):
                    paste_shape = gr.Textbox("1,3,227,227", label="input shape", elem_id="paste-shape")
                    analyze_btn = gr.Button("Analyze", variant="primary", elem_id="paste-analyze")
            paste_totals = gr.Markdown(elem_id="paste-totals")
            paste_table = gr.Dataframe(headers=["name", "type", "input", "output", "weight", "params",
                                                "MACs", "receptive field"], interactive=False,
                                       elem_id="paste-table", wrap=True)
            with gr.Accordion("JSON (the /analyze API answer)", open=False):
                paste_json = gr.JSON(elem_id="paste-json")
        with gr.Tab("Worked examples", id="lab-examples"):
            gr.Markdown("One click reproduces a computation from the course with real PyTorch layers "
                        "and loads its settings into the controls above and the *Paste PyTorch* box.")
            ex_buttons = {}
            with gr.Row():
                for key, (label, _) in EXAMPLES.items():
                    ex_buttons[key] = gr.Button(label, size="sm", elem_id=f"example-{key}")
            ex_md = gr.Markdown(elem_id="example-result")
    ping_btn = gr.Button("ping", visible=False, elem_id="lab-ping")
    ping_out = gr.Textbox(visible=False)

    # events -------------------------------------------------------------------------------------
    to_paste.click(cb.send_to_paste, [code, c["n"], c["c"], c["h"], c["w"]], [paste_code, paste_shape],
                   api_name="send_to_paste")
    analyze_btn.click(cb.analyze_json, [paste_code, paste_shape], paste_json, api_name="analyze"
                      ).success(cb.analyze_table, paste_json, [paste_table, paste_totals],
                                api_name="analyze_table")
    feat_in = [source, upload, sample, sketch, presets, custom, n_random, seed, c["kernel_h"],
               c["kernel_w"], c["stride_h"], c["stride_w"], c["padding"], c["dilation_h"],
               c["dilation_w"], c["padding_mode"], activation, pool, cmap]
    feat_out = [img_in, img_maps, img_after, kern_html, feat_notes, feat_err]
    pic_triggers = [source.change, sample.change, upload.change, sketch.change]
    gr.on(pic_triggers + [presets.change, custom.submit, custom.blur, n_random.release, seed.submit,
                          activation.change, pool.change, cmap.change]
          + [c[n].change for n in ("kernel_h", "kernel_w", "stride_h", "stride_w", "padding",
                                   "dilation_h", "dilation_w", "padding_mode")],
          cb.feature_view, feat_in, feat_out, api_name="feature_maps", trigger_mode="always_last")
    upload.upload(lambda: "upload / clipboard", None, source, api_name="use_upload")
    sketch.input(lambda: "drawing", None, source, api_name="use_drawing")
    sep_in = [source, upload, sample, sketch, sep_choice, custom]
    gr.on(pic_triggers + [sep_choice.change], cb.separable_view, sep_in, [sep_img, sep_md, sep_err],
          api_name="separable", trigger_mode="always_last")

    slide_in = [s_step, c["layer"], grid_text, kernel_text, bias] + [
        c[n] for n in ("kernel_h", "kernel_w", "stride_h", "stride_w", "padding", "dilation_h",
                       "dilation_w", "padding_mode", "output_padding_h", "output_padding_w",
                       "ceil_mode", "count_include_pad", "divisor_override")]
    gr.on([s_step.change, grid_text.submit, grid_text.blur, kernel_text.submit, kernel_text.blur,
           bias.submit] + [x.change for x in slide_in[5:]] + [c["layer"].change],
          cb.sliding_view, slide_in, [slide_html, s_step, s_n], api_name="sliding_window",
          trigger_mode="always_last", show_progress="hidden")
    _wire_player("sliding", s_step, s_play, s_stop, s_timer, s_n)
    vol_in = [v_step, vol_text, filt_text, bias_text, vol_stride, vol_pad]
    gr.on([v_step.change, vol_text.blur, filt_text.blur, bias_text.submit, bias_text.blur,
           vol_stride.change, vol_pad.change], cb.volume_step_view, vol_in, [vol_html, v_step, v_n],
          api_name="volume", trigger_mode="always_last", show_progress="hidden")
    _wire_player("volume", v_step, v_play, v_stop, v_timer, v_n)

    for key, btn in ex_buttons.items():
        btn.click(lambda k=key: cb.load_example(k), None,
                  [ex_md, paste_code, paste_shape, paste_json, paste_table, paste_totals] + inputs,
                  api_name=f"example_{key}")
    ping_btn.click(cb.ping, None, ping_out, api_name="ping", show_progress="hidden")

    # first render, once the page is loaded (no work at import or build time)
    demo = gr.context.Context.root_block
    if demo is not None:
        demo.load(cb.lab_summary, inputs, summary_out, api_name="layer_summary_load",
                  show_progress="hidden")
        demo.load(cb.feature_view, feat_in, feat_out, api_name="feature_maps_load")
        demo.load(cb.sliding_view, slide_in, [slide_html, s_step, s_n], api_name="sliding_window_load")
        demo.load(cb.volume_step_view, vol_in, [vol_html, v_step, v_n], api_name="volume_load")
        demo.load(cb.separable_view, sep_in, [sep_img, sep_md, sep_err], api_name="separable_load")
