"""Putting our ASGI layers (``page_cache``, ``output_files``) in front of a launched Gradio app."""

from __future__ import annotations

from typing import Any


def has_auth(app: Any) -> bool:
    """True for a Gradio ``App`` with authentication (its responses depend on the user)."""
    return getattr(app, "auth", None) is not None or getattr(app, "auth_dependency", None) is not None


def put_in_front(app: Any, layer: type) -> None:
    """Wrap ``app.middleware_stack`` (what Starlette calls on every request) in ``layer(stack)``,
    unless a ``layer`` is already in the chain of layers (each holds the next as ``.app``)."""
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    inner = app.middleware_stack
    for _ in range(64):  # a stack is a few layers deep; the bound only guards against a cycle
        if inner is None:
            break
        if isinstance(inner, layer):
            return
        inner = getattr(inner, "app", None)
    app.middleware_stack = layer(app.middleware_stack)
