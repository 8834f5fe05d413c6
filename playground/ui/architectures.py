"""Architectures tab: explorer (per-layer tables, course tables, comparison), network builder and
concept views. Layout and wiring only; the callbacks live in :mod:`playground.arch.views`."""

from __future__ import annotations

import gradio as gr

from playground.arch import builder, compare, concepts, views
from playground.arith import LAYERS

SHARE_JS = """(q) => {
  if (!q) { return ""; }
  if (!q.startsWith("?")) { return q; }
  history.replaceState(null, "", window.location.pathname + q + window.location.hash);
  return window.location.origin + window.location.pathname + q;
}"""


def _explorer() -> None:
    with gr.Row():
        arch = gr.Dropdown(views.arch_choices(), value="resnet18", label="Architecture",
                           elem_id="arch-name", scale=3)
        shape = gr.Textbox("3x224x224", label="Input (C×H×W or N×C×H×W; any size)",
                           elem_id="arch-shape", scale=2)
        expand = gr.Checkbox(False, label="Expand all blocks", elem_id="arch-expand", scale=1)
        go = gr.Button("Show table", variant="primary", elem_id="arch-go", scale=1)
    totals = gr.Markdown(elem_id="arch-totals")
    table = gr.HTML(elem_id="arch-table", apply_default_css=False)
    with gr.Accordion("JSON (as returned by /architecture_table)", open=False):
        js_out = gr.JSON(elem_id="arch-json")
    inputs = [arch, shape]
    go.click(views.table_json, inputs, js_out, api_name="architecture_table").then(
        views.table_view, [arch, shape, expand], [totals, table], api_name="architecture_table_view")
    shape.submit(views.table_json, inputs, js_out, api_name="architecture_table_submit").then(
        views.table_view, [arch, shape, expand], [totals, table],
        api_name="architecture_table_view_submit")
    arch.input(views.on_arch_change, arch, shape, api_name="architecture_default_shape").then(
        views.table_view, [arch, shape, expand], [totals, table],
        api_name="architecture_table_view_arch")
    expand.change(views.table_view, [arch, shape, expand], [totals, table],
                  api_name="architecture_table_view_expand")

    with gr.Accordion("The course's tables (AlexNet, VGG16, ResNet18) with notes", open=False):
        which = gr.Radio([("AlexNet (227×227)", "alexnet"), ("VGG16 (224×224)", "vgg16"),
                          ("ResNet18 (224×224)", "resnet18")], value="vgg16",
                         label="Course table", elem_id="course-which")
        notes = gr.Markdown(elem_id="course-notes")
        ctable = gr.HTML(elem_id="course-table-html", apply_default_css=False)
        with gr.Accordion("Plain text", open=False):
            text = gr.Code(language=None, elem_id="course-text")
        which.change(views.course_view, which, [ctable, notes, text], api_name="course_table")

    with gr.Accordion("Compare: parameters vs MACs, and the published accuracies", open=False):
        keys = gr.CheckboxGroup(views.arch_choices(), value=list(compare.DEFAULT_SET),
                                label="Architectures", elem_id="compare-keys")
        cmp_go = gr.Button("Compare", elem_id="compare-go")
        plot = gr.Plot(elem_id="compare-plot")
        pts = gr.Dataframe(headers=compare.POINTS_HEADERS, interactive=False,
                           elem_id="compare-points")
        gr.Markdown("**The course's summary.** The accuracy column holds *published* ImageNet "
                    "(ILSVRC) top-5 figures from the papers, not anything measured in this app.")
        pub = gr.Dataframe(headers=compare.PUBLISHED_HEADERS, interactive=False,
                           elem_id="compare-published")
        cmp_go.click(views.compare_view, keys, [plot, pts, pub], api_name="compare_architectures")


def _builder() -> tuple:
    with gr.Row():
        preset = gr.Dropdown([(p.title, k) for k, p in builder.PRESETS.items()], value=None,
                             label="Preset", elem_id="builder-preset", scale=3)
        shape = gr.Textbox("1x3x32x32", label="Input shape (N×C×H×W)", elem_id="builder-shape",
                           scale=2)
        go = gr.Button("Analyze", variant="primary", elem_id="builder-go", scale=1)
    note = gr.Markdown(elem_id="builder-note")
    with gr.Row():
        with gr.Column(scale=3):
            code = gr.Textbox(builder.PRESETS["simple_cnn"].code, lines=14, max_lines=40,
                              label="nn.Sequential(...) (paste, or compose below; "
                                    "nn.Linear(?, n) infers in_features)",
                              elem_id="builder-code", elem_classes="mono")
        with gr.Column(scale=2):
            ltype = gr.Dropdown(sorted(LAYERS),
                                value="Conv2d", label="Layer type", elem_id="builder-ltype")
            largs = gr.Textbox("3, 16, 3, padding=1", label="Arguments (as in PyTorch)",
                               elem_id="builder-largs")
            with gr.Row():
                add = gr.Button("Add layer", elem_id="builder-add")
                rm = gr.Button("Remove last", elem_id="builder-remove")
            check = gr.Button("Check with PyTorch", elem_id="builder-check")
            share = gr.Textbox(label="Shareable link (updates the address bar)", interactive=False,
                               elem_id="builder-share", buttons=["copy"])
            query = gr.Textbox(visible=False, elem_id="builder-query")
    status = gr.Markdown(elem_id="builder-status")
    flow = gr.HTML(elem_id="builder-flow-html", apply_default_css=False)
    checked = gr.Markdown(elem_id="builder-checked")
    torch_code = gr.Code(language="python", label="Runnable PyTorch", elem_id="builder-torch-code")
    with gr.Accordion("JSON (as returned by /build_network)", open=False):
        js_out = gr.JSON()

    outs = [status, flow, torch_code, js_out]

    def analyze(ev: gr.events.Dependency, suffix: str) -> None:
        ev.then(views.build_view, [code, shape], outs, api_name=f"build_network_view_{suffix}").then(
            views.share_query, [code, shape], query, api_name=f"builder_share_query_{suffix}").then(
            None, query, share, js=SHARE_JS, api_name=f"builder_share_url_{suffix}")

    analyze(go.click(views.build_network, [code, shape], js_out, api_name="build_network"), "go")
    analyze(preset.input(views.preset, preset, [code, shape, note], api_name="builder_preset"),
            "preset")
    analyze(add.click(views.add_layer, [code, ltype, largs], code, api_name="builder_add_layer"),
            "add")
    analyze(rm.click(views.remove_layer, code, code, api_name="builder_remove_layer"), "remove")
    analyze(shape.submit(views.build_network, [code, shape], js_out,
                         api_name="build_network_submit"), "shape")
    check.click(views.torch_check, [code, shape], checked, api_name="builder_torch_check")
    return code, shape, status, flow, torch_code, js_out, query, share


def _concepts() -> None:
    with gr.Accordion("Stacked 3×3 convolutions against one big kernel", open=True):
        with gr.Row():
            ch = gr.Slider(1, 512, 1, step=1, label="channels C (C → C)", elem_id="stack-c")
            bias = gr.Checkbox(False, label="with bias")
        st = gr.Dataframe(views.stacked_view(1, False),
                          headers=["3×3 layers", "receptive field", "params stacked",
                                   "params one kernel", "saving"], interactive=False,
                          elem_id="stack-table")
        ch.release(views.stacked_view, [ch, bias], st, api_name="concept_stacked")
        bias.change(views.stacked_view, [ch, bias], st, api_name="concept_stacked_bias")
    with gr.Accordion("MLP against CNN on an H×W×C image", open=False):
        with gr.Row():
            mh, mw, mc = (gr.Number(v, label=lbl, precision=0) for v, lbl in
                          ((200, "H"), (200, "W"), (3, "C")))
            mk, mo = gr.Number(3, label="conv kernel", precision=0), gr.Number(64, label="conv C_out", precision=0)
        mlp_md = gr.Markdown(views.mlp_view(200, 200, 3, 3, 64), elem_id="mlp-md")
        gr.Button("Compute", elem_id="mlp-go").click(views.mlp_view, [mh, mw, mc, mk, mo], mlp_md,
                                                     api_name="concept_mlp_vs_cnn")
    with gr.Accordion("1×1 convolution and Inception's dimension reduction", open=False):
        with gr.Row():
            ih, iw, ic, ir, io, ik = (gr.Number(v, label=lbl, precision=0) for v, lbl in (
                (28, "H"), (28, "W"), (192, "C_in"), (16, "C_reduce (1×1)"), (32, "C_out"),
                (5, "kernel")))
        inc_md = gr.Markdown(views.inception_view(28, 28, 192, 16, 32, 5), elem_id="inception-md")
        gr.Button("Compute", elem_id="inception-go").click(
            views.inception_view, [ih, iw, ic, ir, io, ik], inc_md, api_name="concept_inception")
    with gr.Accordion("A residual block: identity or 1×1 projection", open=False):
        with gr.Row():
            rc, ro, rh, rw, rs = (gr.Number(v, label=lbl, precision=0) for v, lbl in (
                (64, "C_in"), (128, "C_out"), (56, "H"), (56, "W"), (2, "stride")))
        res_md = gr.Markdown(views.residual_view(64, 128, 56, 56, 2), elem_id="residual-md")
        gr.Button("Compute", elem_id="residual-go").click(
            views.residual_view, [rc, ro, rh, rw, rs], res_md, api_name="concept_residual")
    with gr.Accordion("Activations on a tensor you edit", open=False):
        with gr.Row():
            ex1 = gr.Button("Course: Softmax of [[1..5],[6..10]]", elem_id="act-ex-softmax")
            ex2 = gr.Button("Course: the 4×5 tensor −1…−5, 6…20", elem_id="act-ex-4x5")
        with gr.Row():
            tens = gr.Textbox("1 2 3 4 5\n6 7 8 9 10", lines=4, label="tensor (rows on lines)",
                              elem_id="act-tensor")
            kind = gr.Dropdown(list(concepts.ACTIVATIONS), value="Softmax", label="activation",
                               elem_id="act-kind")
            slope = gr.Number(0.01, label="LeakyReLU negative_slope")
            dim = gr.Radio([0, 1, -1], value=1, label="Softmax dim", elem_id="act-dim")
        act_html = gr.HTML(views.activation_view("1 2 3 4 5\n6 7 8 9 10", "Softmax", 0.01, 1),
                           elem_id="act-html")
        act_in = [tens, kind, slope, dim]
        act_go = gr.Button("Apply", elem_id="act-go")
        act_go.click(views.activation_view, act_in, act_html, api_name="concept_activation")
        ex1.click(lambda: ("1 2 3 4 5\n6 7 8 9 10", "Softmax"), None, [tens, kind],
                  api_name="concept_activation_example_softmax").then(
            views.activation_view, act_in, act_html, api_name="concept_activation_ex1")
        ex2.click(lambda: ("\n".join(" ".join(str(v) for v in r) for r in concepts.EXAMPLE_4x5),
                           "ReLU"), None, [tens, kind],
                  api_name="concept_activation_example_4x5").then(
            views.activation_view, act_in, act_html, api_name="concept_activation_ex2")
    with gr.Accordion("Normalisation: which elements share a mean and variance", open=False):
        with gr.Row():
            nn_, nc, nh, nw = (gr.Slider(1, 4, v, step=1, label=lbl) for v, lbl in
                               ((2, "N"), (4, "C"), (2, "H"), (2, "W")))
            seed = gr.Number(0, label="seed", precision=0)
        with gr.Row():
            nkind = gr.Dropdown(list(concepts.NORMS), value="BatchNorm2d", label="layer",
                                elem_id="norm-kind")
            groups = gr.Slider(1, 4, 2, step=1, label="GroupNorm groups")
            steps = gr.Slider(1, 50, 1, step=1, label="BatchNorm training passes before eval")
        norm_go = gr.Button("Normalise", elem_id="norm-go")
        norm_html = gr.HTML(elem_id="norm-html")
        norm_md = gr.Markdown(elem_id="norm-md")
        norm_go.click(views.norm_view, [nn_, nc, nh, nw, seed, nkind, groups, steps],
                      [norm_html, norm_md], api_name="concept_normalisation")


def build_architectures() -> None:
    """Lay out the tab (sub-tabs Explorer, Builder, Concepts) and wire its events."""
    outer_tabs = gr.context.Context.block.parent if gr.context.Context.block else None
    with gr.Tabs(elem_id="arch-subtabs") as tabs:
        with gr.Tab("Explorer", id="explorer"):
            _explorer()
        with gr.Tab("Builder", id="builder"):
            code, shape, status, flow, torch_code, js_out, query, share = _builder()
        with gr.Tab("Concepts", id="concepts"):
            _concepts()
    demo = gr.context.Context.root_block
    if demo is None:
        return
    outs = [code, shape, status, flow, torch_code, js_out, tabs]
    # queue=False: a shared link is restored at once, not behind the other tabs' load events
    if isinstance(outer_tabs, gr.Tabs):
        ev = demo.load(views.load_shared, None, [*outs, outer_tabs], api_name="builder_load_shared",
                       queue=False)
    else:  # the tab on its own (tests, notebooks)
        ev = demo.load(views.load_shared_inner, None, outs, api_name="builder_load_shared",
                       queue=False)
    ev.then(views.share_link_on_load, [code, shape], query, api_name="builder_share_query_load",
            queue=False).then(None, query, share, js=SHARE_JS, api_name="builder_share_url_load")
