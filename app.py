"""CNN Playground: build the Gradio app and launch it.

Run ``python app.py`` (honours ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``; ``--host``,
``--port`` and ``--data-dir`` override them). Nothing heavy is loaded at import time: models are
loaded lazily on first use and cached read-only.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import gradio as gr

from playground import limits
from playground.ui import (architectures, cifar, digits, gradio_fixes, gradio_inline, gradio_speedups, heap,
                           layer_lab, output_files, page_cache, queue_policy, segmentation, studio)
from playground.ui.theme import CSS, HEAD

TABS = (
    ("Layer Lab", layer_lab.build_layer_lab),
    ("Digits", digits.build_digits),
    ("CIFAR-10", cifar.build_cifar),
    ("Segmentation", segmentation.build_segmentation),
    ("Architectures", architectures.build_architectures),
    ("Training studio", studio.build_studio),
)


def build_demo() -> gr.Blocks:
    """Return the whole app as one ``gr.Blocks`` (one tab per module in ``playground/ui``)."""
    gradio_fixes.install()  # atomic writes of output images (a race under concurrent users)
    gradio_speedups.install_lazy_session_config()  # a new session no longer rebuilds the config
    gradio_inline.install()  # light components' pre/postprocessing without a thread hop each
    with gr.Blocks(title="CNN Playground") as demo:
        gr.Markdown(
            "# CNN Playground\nTouch convolutional networks: every number is exact and checked "
            "against PyTorch.",
            elem_id="app-title",
        )
        with gr.Tabs():
            for title, build in TABS:
                with gr.Tab(title, id=title.lower().replace(" ", "-")):
                    build()
    return queue_policy.apply(demo)


def launch_kwargs() -> dict[str, Any]:
    """Options shared by ``python app.py`` and the tests' in-process server."""
    return {"css": CSS, "head": HEAD, "max_file_size": limits.MAX_UPLOAD_BYTES, "show_error": True,
            "enable_monitoring": False}


def launch(demo: gr.Blocks, **overrides: Any) -> None:
    """Start serving ``demo`` without blocking (``launch_kwargs()`` updated by ``overrides``), then
    serve its page responses from :mod:`playground.ui.page_cache` and its output pictures from
    :mod:`playground.ui.output_files`. ``python app.py`` and the tests'
    in-process servers all start this way."""
    demo.launch(prevent_thread_lock=True, **{**launch_kwargs(), **overrides})
    gradio_speedups.skip_analytics_summary(demo)
    page_cache.install(demo.server_app)
    output_files.install(demo.server_app)


def main(argv: list[str] | None = None) -> None:
    """Parse ``--host/--port/--data-dir`` and launch."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=None, help="bind address (0.0.0.0 for a classroom LAN)")
    parser.add_argument("--port", type=int, default=None, help="port (default 7860)")
    parser.add_argument("--data-dir", default=None, help="datasets folder (or CNN_PLAYGROUND_DATA)")
    args = parser.parse_args(argv)
    if args.data_dir:
        os.environ["CNN_PLAYGROUND_DATA"] = args.data_dir
    import torch  # imported here so that importing app.py stays light for tooling

    torch.set_num_threads(1)  # one thread per job; the queue runs up to 2 model jobs at once
    demo = build_demo()
    launch(demo, server_name=args.host, server_port=args.port)
    heap.freeze_after_startup()  # full garbage collections skip the start-up heap (short pauses)
    demo.block_thread()


if __name__ == "__main__":
    main()
