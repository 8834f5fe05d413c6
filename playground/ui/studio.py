"""Placeholder tab (issue #7 is not built yet); replaced by the tab's real module."""

import gradio as gr


def build_studio() -> None:
    """Lay out a note that this tab is not built yet."""
    gr.Markdown("This tab is not built yet (issue #7).")
