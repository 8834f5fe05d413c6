"""Training studio tab: train a CNN live, preview augmentation, try transfer learning.

Thin callbacks over ``playground.studio``: each turns ``ValueError`` into ``gr.Error``. All state is
per session (``gr.State(StudioSession)``); trainings share one queue slot pool
(``concurrency_id="studio_training"``, ``limits.MAX_CONCURRENT_TRAININGS``) so the inference tabs
stay responsive. Stop flips the session's flag, which the loop checks before every step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from playground import imageio, limits, validate
from playground.studio import augment, datasets, presets, session
from playground.studio.loop import Optim
from playground.studio.session import StudioSession
from playground.ui.components import LenientImage

_log = logging.getLogger(__name__)
TRAIN_CONCURRENCY_ID = "studio_training"
SAMPLES = ("house", "shapes", "checkerboard", "gradient_text")


def _err(e: Exception) -> gr.Error:
    """``ValueError`` → its message; anything else is logged and shown as a short generic message."""
    if isinstance(e, ValueError):
        return gr.Error(str(e))
    _log.error("studio callback failed", exc_info=e)
    return gr.Error("the studio could not do that with these settings; please try other settings")


# Live training ------------------------------------------------------------------------------------
def train_stream(sess: StudioSession, network: str, code: str, dataset: str, optimizer: str,
                 lr: float, batch_size: float, unit: str, amount: float, augment_on: bool,
                 seed: float, image_index: float,
                 max_seconds: float = limits.MAX_TRAIN_SECONDS) -> Iterator[list[Any]]:
    """``/train``: stream progress (html, curves, JSON) then the results."""
    try:
        settings = session.parse_settings(optimizer, lr, batch_size, amount, unit, augment_on, seed,
                                          max_seconds)
        first = True
        index = session.parse_index(image_index, "test image #")
        for u in session.live_training(sess, network, code, dataset, settings, image_index=index):
            out: list[Any] = [u.html, u.loss_df, u.acc_df, u.progress.to_json()]
            if u.final is not None:
                f = u.final
                n = max(int(f["checkpoints"]), 1)
                out += [f["summary"], f["confusion"], f["predictions"], f["filters"],
                        gr.update(maximum=max(n - 1, 1), value=n - 1, interactive=n > 1),
                        f["checkpoint_view"], f["files"]]
            elif first:
                out += ["Training…", None, None, None, gr.update(maximum=1, value=0), None, None]
            else:
                out += [gr.skip()] * 7
            first = False
            yield out
    except Exception as e:  # noqa: BLE001 - never a traceback to the user
        raise _err(e) from None


def stop(sess: StudioSession) -> str:
    """``/stop``: ask this session's training to stop (idempotent)."""
    return sess.request_stop()


def check_network(network: str, code: str, dataset: str, batch_size: float) -> str:
    """``/check_network``: parameters, MACs and code of the network, or why it is refused."""
    try:
        settings = session.parse_settings(Optim.ADAM.value, 1e-3, batch_size, 1, "steps", False)
        model, data, _ = session.prepare(network, code, dataset, settings)
        return "✅ " + session.describe(model, data)
    except ValueError as e:
        return f"❌ **This network cannot be trained here:** {e}"
    except Exception as e:  # noqa: BLE001 - never a traceback to the user
        raise _err(e) from None


def show_code(network: str) -> dict:
    """Show the PyTorch text box only for the custom network."""
    return gr.update(visible=network == presets.CUSTOM)


def checkpoint(sess: StudioSession, index: float, image_index: float) -> tuple[Any, str]:
    """``/checkpoint``: filters and one test image's feature maps at saved checkpoint ``index``."""
    try:
        return session.checkpoint_view(sess, index, image_index)
    except Exception as e:  # noqa: BLE001
        raise _err(e) from None


# Augmentation ------------------------------------------------------------------------------------
def sample_image(name: str) -> Any:
    """A bundled sample image (``playground/samples``) by name."""
    from playground.config import REPO_ROOT

    try:
        name = validate.choice(name, SAMPLES, "sample")
    except ValueError as e:
        raise gr.Error(str(e)) from None
    return imageio.load_image(REPO_ROOT / "playground" / "samples" / f"{name}.png", mode="RGB")


def augment_preview(image: Any, size: float, crop_padding: float, rrc_scale: float, hflip: bool,
                    vflip: bool, rotation: float, translate: float, scale: float, shear: float,
                    jitter: float, blur_sigma: float, normalize: str, n: float,
                    seed: float) -> tuple[Any, str, str]:
    """``/augment``: the grid (original framed in blue first), the code, Normalize's statistics."""
    try:
        if image is None:
            raise ValueError("upload an image or pick a sample first")
        s = augment.settings_from_ui(size, crop_padding, rrc_scale, hflip, vflip, rotation, translate,
                                     scale, shear, jitter, blur_sigma, normalize, n, seed)
        side = limits.WORK_IMAGE_SIDE
        img, _ = imageio.downscale(imageio.load_image(image, mode="RGB", max_side=side), side)
        p = augment.preview(img, s)
        return p.grid, p.code, augment.stats_markdown(p.stats)
    except Exception as e:  # noqa: BLE001
        raise _err(e) from None


# Transfer learning ------------------------------------------------------------------------------
def transfer_stream(sess: StudioSession, task: str, seconds: float, batch_size: float,
                    lr: float) -> Iterator[list[Any]]:
    """``/transfer``: frozen backbone + new head vs from scratch, same training time each."""
    try:
        args = session.parse_transfer(task, seconds, batch_size, lr)
        for html, df, rows, note in session.live_transfer(sess, *args):
            yield [html, df, rows, note if note is not None else gr.skip()]
    except Exception as e:  # noqa: BLE001
        raise _err(e) from None


# Layout -----------------------------------------------------------------------------------------
def _live_tab(sess: gr.State) -> None:
    gr.Markdown("Train a real PyTorch network on real data, live. One training per session; at "
                f"most {limits.MAX_TRAIN_STEPS:,} steps and {limits.MAX_TRAIN_SECONDS:g} s. "
                "Stop keeps what was learned.")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            network = gr.Dropdown(list(presets.NETWORK_CHOICES), value="LeNet-5", label="Network",
                                  elem_id="studio-network")
            code = gr.Code(presets.EXAMPLE_CUSTOM, language="python", label="Network as PyTorch text",
                           visible=False, elem_id="studio-code", interactive=True)
            dataset = gr.Radio(list(datasets.DATASET_CHOICES), value=datasets.MNIST, label="Dataset",
                               elem_id="studio-dataset")
            optimizer = gr.Radio([o.value for o in Optim], value=Optim.ADAM.value, label="Optimiser",
                                 elem_id="studio-optimizer")
            with gr.Row():
                lr = gr.Number(2e-3, label="Learning rate", elem_id="studio-lr")
                batch = gr.Number(128, label=f"Batch size (1–{limits.MAX_BATCH_SIZE})",
                                  precision=0, elem_id="studio-batch")
            with gr.Row():
                unit = gr.Radio(["steps", "epochs"], value="steps", label="Train for",
                                elem_id="studio-unit")
                amount = gr.Number(1500, label="How many", elem_id="studio-amount")
                max_s = gr.Number(60, label=f"Time limit, s (≤ {limits.MAX_TRAIN_SECONDS:g})",
                                  elem_id="studio-max-seconds")
            with gr.Row():
                aug = gr.Checkbox(False, label="Augmentation (random crop; + flips on CIFAR)",
                                  elem_id="studio-augment")
                seed = gr.Number(0, label="Seed", precision=0, elem_id="studio-seed")
            with gr.Row():
                train_btn = gr.Button("Train", variant="primary", elem_id="studio-train")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="studio-stop")
                check_btn = gr.Button("Check network", elem_id="studio-check")
            stop_msg = gr.Markdown(elem_id="studio-stop-msg")
            net_info = gr.Markdown(elem_id="studio-net-info")
        with gr.Column(scale=2):
            progress = gr.HTML("<div id='studio-progress-box' data-step='0' data-points='0' "
                               "data-status='idle'>Not started.</div>", elem_id="studio-progress")
            loss_plot = gr.LinePlot(x="step", y="value", color="series", title="Loss",
                                    elem_id="studio-loss-plot", height=240)
            acc_plot = gr.LinePlot(x="step", y="value", color="series", title="Accuracy",
                                   y_lim=[0, 1], elem_id="studio-acc-plot", height=240)
            with gr.Accordion("Progress as JSON (what /train streams)", open=False):
                prog_json = gr.JSON(elem_id="studio-progress-json")
    gr.Markdown("### Results")
    summary = gr.Markdown(elem_id="studio-summary")
    with gr.Row():
        confusion = gr.Image(label="Confusion matrix (rows: true, columns: predicted)",
                             type="numpy", elem_id="studio-confusion", interactive=False)
        preds = gr.Image(label="Test predictions (red: wrong, with the true label)", type="numpy",
                         elem_id="studio-predictions", interactive=False)
    filters = gr.Image(label="Learned first-layer filters", type="numpy", elem_id="studio-filters",
                       interactive=False)
    with gr.Row():
        ck = gr.Slider(0, 1, value=0, step=1, label="Checkpoint", elem_id="studio-checkpoint")
        img_idx = gr.Number(0, label="Test image #", precision=0, elem_id="studio-image-index")
    ck_view = gr.Image(label="Image · filters · feature maps at this checkpoint", type="numpy",
                       elem_id="studio-checkpoint-view", interactive=False)
    ck_caption = gr.Markdown(elem_id="studio-checkpoint-caption")
    files = gr.File(label="Download: state_dict (.pt) and the code that reloads it (.py)",
                    file_count="multiple", elem_id="studio-files", interactive=False)

    network.change(show_code, network, code, api_name="studio_network_choice")
    check_btn.click(check_network, [network, code, dataset, batch], net_info,
                    api_name="check_network")
    train_btn.click(
        train_stream, [sess, network, code, dataset, optimizer, lr, batch, unit, amount, aug, seed,
                       img_idx, max_s],
        [progress, loss_plot, acc_plot, prog_json, summary, confusion, preds, filters, ck, ck_view,
         files],
        api_name="train", concurrency_limit=limits.MAX_CONCURRENT_TRAININGS,
        concurrency_id=TRAIN_CONCURRENCY_ID, show_progress="minimal", show_progress_on=[progress],
        trigger_mode="once")
    stop_btn.click(stop, sess, stop_msg, api_name="stop", concurrency_limit=None)
    ck.release(checkpoint, [sess, ck, img_idx], [ck_view, ck_caption], api_name="checkpoint")
    img_idx.submit(checkpoint, [sess, ck, img_idx], [ck_view, ck_caption],
                   api_name="checkpoint_image")


def _augment_tab() -> None:
    gr.Markdown("See what a `torchvision.transforms` pipeline does: a grid of augmented samples "
                "(the original framed in blue), the code that made them, and what `Normalize` does "
                "to the tensor. The same seed gives the same grid.")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            image = LenientImage(type="filepath", label="Image", sources=["upload", "clipboard"],
                                 elem_id="studio-aug-image")
            sample = gr.Dropdown(list(SAMPLES), value=None, label="…or a sample image",
                                 elem_id="studio-aug-sample")
            size = gr.Slider(16, 256, value=64, step=8, label="Size (centre crop + resize)")
            crop = gr.Slider(0, 32, value=4, step=1, label="RandomCrop padding (0 = off)")
            rrc = gr.Slider(0, 1, value=0, step=0.05, label="RandomResizedCrop min scale (0 = off)")
            with gr.Row():
                hflip = gr.Checkbox(True, label="Horizontal flip")
                vflip = gr.Checkbox(False, label="Vertical flip")
            rotation = gr.Slider(0, 180, value=15, step=1, label="Rotation ± degrees")
            translate = gr.Slider(0, 0.5, value=0, step=0.05, label="Affine translate (fraction)")
            scale = gr.Slider(0, 0.5, value=0, step=0.05, label="Affine scale ±")
            shear = gr.Slider(0, 45, value=0, step=1, label="Affine shear (degrees)")
            jitter = gr.Slider(0, 1, value=0.3, step=0.05, label="ColorJitter strength")
            blur = gr.Slider(0, 5, value=0, step=0.1, label="GaussianBlur max sigma (0 = off)")
            normalize = gr.Radio(["off", *augment.NORM_PRESETS], value="ImageNet", label="Normalize")
            with gr.Row():
                n = gr.Slider(1, limits.MAX_AUGMENT_SAMPLES, value=11, step=1, label="Samples")
                seed = gr.Number(0, label="Seed", precision=0, elem_id="studio-aug-seed")
            btn = gr.Button("Augment", variant="primary", elem_id="studio-aug-run")
        with gr.Column(scale=2):
            grid = gr.Image(label="Original (blue) and augmented samples", type="numpy",
                            interactive=False, elem_id="studio-aug-grid")
            code = gr.Code(language="python", label="The code that produced them",
                           elem_id="studio-aug-code")
            stats = gr.Markdown(elem_id="studio-aug-stats")
    sample.change(sample_image, sample, image, api_name="augment_sample")
    btn.click(augment_preview, [image, size, crop, rrc, hflip, vflip, rotation, translate, scale,
                                shear, jitter, blur, normalize, n, seed], [grid, code, stats],
              api_name="augment")


def _transfer_tab(sess: gr.State) -> None:
    gr.Markdown("Reuse the project's CIFAR-10 ResNet: freeze it (`requires_grad=False`), replace "
                "its head, train only the head on a new small task, and compare with the same "
                "network trained from scratch for the same training time.")
    with gr.Row():
        task = gr.Radio(list(_tasks()), value=_tasks()[0], label="New task",
                        elem_id="studio-transfer-task")
        seconds = gr.Slider(5, limits.TRANSFER_MAX_SECONDS, value=20, step=5,
                            label="Training seconds per model", elem_id="studio-transfer-seconds")
        batch = gr.Number(32, label="Batch size", precision=0)
        lr = gr.Number(1e-3, label="Learning rate (Adam)")
    with gr.Row():
        run = gr.Button("Compare", variant="primary", elem_id="studio-transfer-run")
        stop_btn = gr.Button("Stop", variant="stop", elem_id="studio-transfer-stop")
    stop_msg = gr.Markdown()
    status = gr.HTML(elem_id="studio-transfer-status")
    plot = gr.LinePlot(x="seconds", y="accuracy", color="run", y_lim=[0, 1],
                       title="Held-out accuracy against training seconds",
                       elem_id="studio-transfer-plot", height=260)
    table = gr.Dataframe(headers=session.TRANSFER_COLUMNS, interactive=False,
                         elem_id="studio-transfer-table")
    note = gr.Markdown(elem_id="studio-transfer-note")
    run.click(transfer_stream, [sess, task, seconds, batch, lr], [status, plot, table, note],
              api_name="transfer", concurrency_limit=limits.MAX_CONCURRENT_TRAININGS,
              concurrency_id=TRAIN_CONCURRENCY_ID, show_progress="minimal",
              show_progress_on=[status], trigger_mode="once")
    stop_btn.click(stop, sess, stop_msg, api_name="stop_transfer", concurrency_limit=None)


def _tasks() -> tuple[str, ...]:
    from playground.studio import transfer

    return transfer.TASKS


def build_studio() -> None:
    """Lay out the three studio sub-tabs and wire their events (one session object per tab)."""
    sess = gr.State(session.new_session)
    with gr.Tabs():
        with gr.Tab("Live training", id="studio-live"):
            _live_tab(sess)
        with gr.Tab("Augmentation", id="studio-augment-tab"):
            _augment_tab()
        with gr.Tab("Transfer learning", id="studio-transfer-tab"):
            _transfer_tab(sess)
