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

# Layer Lab tab (issue #2) -----------------------------------------------------------------------
MAX_KERNEL_SIDE: Final[int] = 15
"""Largest custom or random kernel side in the Layer Lab's feature-map view."""
MAX_KERNEL_TEXT: Final[int] = 4_000
"""Longest custom-kernel / volume text accepted by the Layer Lab parsers."""
MAX_VOLUME_CHANNELS: Final[int] = 8
"""Most input channels or filters in the multi-channel (volume) view."""
MAX_SLIDING_TERMS: Final[int] = 49
"""Most products written out in one printed dot product (longer sums are elided with '…')."""
MAX_WORKING_GRID_SIDE: Final[int] = 48
"""Largest side of the padded / zero-inserted grid drawn by the sliding-window view."""

# Architectures tab ------------------------------------------------------------------------------
MAX_SYMBOLIC_ELEMENTS: Final[int] = 10**14
"""Largest input (N·C·H·W) the architecture explorer traces on the meta device (no allocation)."""
MAX_SHARE_CODE_CHARS: Final[int] = 4_000
"""Longest network code put into a shareable builder link (base64url in the query string)."""
MAX_CONCEPT_ELEMENTS: Final[int] = 400
"""Most elements in a tensor the user edits in the activation / normalisation concept views."""
MAX_TRAIN_PARAMS: Final[int] = 2_000_000
"""Largest network (parameters) the training studio will train live."""
MAX_TRAIN_STEP_MACS: Final[int] = 2_000_000_000
"""Most forward multiply-accumulates in one training batch (batch size × MACs per image), so one
step stays well under a second and Stop is honoured quickly."""
TRAIN_THREADS: Final[int] = 1
"""torch intra-op threads used by one live training (restored between steps for other tabs)."""
MAX_CHECKPOINTS: Final[int] = 12
"""Checkpoints kept in memory per training for the scrubber (evenly spaced steps)."""
HELDOUT_EVAL_IMAGES: Final[int] = 1_000
"""Held-out images evaluated for each point of the live held-out curve."""
CIFAR_SUBSET_TRAIN: Final[int] = 10_000
"""Training images in the studio's CIFAR-10 subset (the held-out split is taken beside them)."""
CIFAR_SUBSET_TEST: Final[int] = 2_000
"""Test images for the studio's CIFAR-10 subset results."""
MAX_AUGMENT_SAMPLES: Final[int] = 32
"""Most augmented samples in one augmentation-preview grid."""
TRANSFER_MAX_SECONDS: Final[float] = 60.0
"""Training time given to each of the two transfer-learning runs (frozen head vs from scratch)."""

# Digits tab ----------------------------------------------------------------------------------------
DIGIT_MIN_SIDE: Final[int] = 8
"""Smallest image side (px) that can hold a drawn or photographed digit."""
DIGIT_MIN_CONTRAST: Final[float] = 0.15
"""Below this ink-to-background contrast (0–1) an image counts as blank: "draw a digit"."""
DIGIT_MIN_INK_PIXELS: Final[int] = 4
"""Fewer ink pixels than this count as a blank canvas."""
TRANSFER_MAX_BATCH: Final[int] = 32
"""Largest batch in the transfer-learning comparison (a ResNet step must stay near a second)."""

# Segmentation -----------------------------------------------------------------------------------
SEG_MIN_SIDE: Final[int] = 16
"""Smallest image side the segmentation U-Nets accept (smaller inputs are refused with a message)."""
SEG_TILE: Final[int] = 512
"""U-Net inputs larger than this are run in tiles of this side (bounds memory per request)."""
SEG_FEATURE_MAPS: Final[int] = 8
"""Most channels shown per U-Net level in the feature-map view."""
SCENE_MAX_SIDE: Final[int] = 256
"""Longest side of a drawn digit scene after rescaling to the training digit size."""
SCENE_MAX_INSTANCES: Final[int] = 20
"""Most digit instances reported from one drawn scene (the rest are counted, not listed)."""
TRAIN_NICE: Final[int] = 10
"""Niceness of a live training's thread (Linux, per thread) so inference requests win the CPU."""
MAX_CHECKPOINT_BYTES: Final[int] = 32 * 1024 * 1024
"""Memory for one training's checkpoints; fewer than MAX_CHECKPOINTS are kept for big networks."""

# Longest echo of a user's input inside an error message (characters).
MAX_ECHO_CHARS: Final[int] = 80
OUTPUT_MEMORY_BYTES: Final[int] = 64 * 2**20
"""Output pictures kept in server memory to answer their downloads (``ui.output_files``; LRU)."""
