"""Arithmetic core: exact PyTorch shape, parameter, MAC and receptive-field arithmetic for CNN layers.

Pure Python and symbolic (nothing is allocated, so a 100000×100000 input is fine); torch is imported
only by ``to_torch``/``from_torch``. Every error is a ``ShapeError`` (a ``ValueError``) naming the
broken constraint, raised exactly when torch would raise (proved by tests/test_arith_parity.py).

MACs: multiply-accumulates of the layer's main product, equal to
``torch.utils.flop_counter.FlopCounterMode`` total ÷ 2 for the layers it counts (Conv2d,
ConvTranspose2d, Linear; bias additions are not counted). Pooling, unpooling, BatchNorm2d, Dropout,
Flatten and activations are not counted by the flop counter and report 0 MACs. See ``counts``.

    >>> from playground.arith import Conv2d, layer_report
    >>> r = layer_report(Conv2d(1, 32, 5), (1, 1, 28, 28))
    >>> r.output_shape, r.params, r.macs
    ((1, 32, 24, 24), 832, 460800)
"""

from .analyze import LayerReport, NetworkReport, analyze, analyze_specs, layer_report, parse_shape
from .codegen import from_torch, specs_from_torch, to_code, to_sequential_code, to_torch
from .counts import bias_shape, macs, param_count, weight_shape
from .errors import ShapeError
from .formulas import explain_invalid, formula_steps
from .parse import LAYERS, parse_network
from .receptive import RF, receptive_field
from .shapes import output_shape
from .specs import (
    ActKind, Activation, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm2d, Conv2d,
    ConvTranspose2d, Dropout, Flatten, LayerSpec, Linear, MaxPool2d, MaxUnpool2d, PaddingMode,
    type_name,
)

__all__ = [
    "ActKind", "Activation", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool2d", "BatchNorm2d",
    "Conv2d", "ConvTranspose2d", "Dropout", "Flatten", "LAYERS", "LayerReport", "LayerSpec", "Linear",
    "MaxPool2d", "MaxUnpool2d", "NetworkReport", "PaddingMode", "RF", "ShapeError", "analyze",
    "analyze_specs", "bias_shape", "explain_invalid", "formula_steps", "from_torch", "layer_report",
    "macs", "output_shape", "param_count", "parse_network", "parse_shape", "receptive_field",
    "specs_from_torch", "to_code", "to_sequential_code", "to_torch", "type_name", "weight_shape",
]
