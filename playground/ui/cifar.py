"""Placeholder tab (issue #4 is not built yet); replaced by the tab's real module."""

import gradio as gr


def build_cifar() -> None:
    """Lay out a note that this tab is not built yet."""
    gr.Markdown("This tab is not built yet (issue #4).")
