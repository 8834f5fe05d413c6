"""Placeholder tab (issue #2 is not built yet); replaced by the tab's real module."""

import gradio as gr


def build_layer_lab() -> None:
    """Lay out a note that this tab is not built yet."""
    gr.Markdown("This tab is not built yet (issue #2).")
