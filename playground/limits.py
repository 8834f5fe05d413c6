"""Every cap on work per request, in one place (documented in the README's "Limits" section).

Huge sizes are computed symbolically by the arithmetic core; these caps bound what is ever
*allocated* or *run*. Change a limit here and nowhere else.
"""

from __future__ import annotations

from typing import Final

# Uploads and images ---------------------------------------------------------------------------
MAX_UPLOAD_BYTES: Final[int] = 25 * 1024 * 1024
"""Largest accepted upload file, in bytes (Gradio's ``max_file_size``)."""
MAX_IMAGE_PIXELS: Final[int] = 60_000_000
"""PIL's decompression-bomb limit: images above this many pixels are refused before decoding."""
WORK_IMAGE_SIDE: Final[int] = 512
"""Uploaded images are downscaled so that their longer side is at most this (with a visible note)."""

# Layer Lab / arithmetic core -------------------------------------------------------------------
MAX_TENSOR_ELEMENTS: Final[int] = 4_000_000
"""Largest tensor the Layer Lab will actually allocate; larger shapes are answered symbolically."""
MAX_GRID_SIDE: Final[int] = 16
"""Largest input side for the sliding-window and multi-channel views (values are printed)."""
MAX_CODE_CHARS: Final[int] = 20_000
"""Longest PyTorch text accepted by ``analyze``."""
MAX_LAYERS: Final[int] = 200
"""Most layers in one pasted or composed network."""
MAX_DIM: Final[int] = 10**9
"""Largest single dimension or hyperparameter accepted (still computed symbolically)."""
MAX_FEATURE_KERNELS: Final[int] = 16
"""Most output channels rendered as feature maps."""

# Training studio --------------------------------------------------------------------------------
MAX_TRAIN_STEPS: Final[int] = 3_000
"""Most optimiser steps in one live training."""
MAX_TRAIN_SECONDS: Final[float] = 120.0
"""Wall-clock cap on one live training."""
MAX_BATCH_SIZE: Final[int] = 512
"""Largest batch size in the training studio."""
MAX_CONCURRENT_TRAININGS: Final[int] = 2
"""Trainings that may run at once across all users (a Gradio per-event concurrency limit)."""
