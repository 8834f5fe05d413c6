"""Network builder: compose a network layer by layer or paste ``nn.Sequential(...)`` text, then
see its shape flow, totals, receptive field, the first layer that breaks and runnable code.

Built on the arithmetic core (:func:`playground.arith.parse_network`, ``layer_report``,
``analyze_specs``): text is parsed with an ``ast`` whitelist (never ``eval``), shapes are
symbolic. ``nn.Linear(?, 10)``, ``nn.Linear(in_features=?, out_features=10)`` and
``nn.LazyLinear(10)`` mean "infer ``in_features``": it becomes the last dimension of the
incoming shape (``C·H·W`` after a ``Flatten``), as ``LazyLinear`` does in PyTorch.

Shareable links carry the code as base64url (RFC 4648 §5, no padding) in ``?net=`` and the
input shape in ``&shape=``; both are size-capped (``limits.MAX_SHARE_CODE_CHARS``) and decoded
defensively (anything odd is a ``ValueError``, never executed).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from math import prod

from playground import arith, limits, validate
from playground.arch.jsonsafe import json_safe
from playground.arith import Linear, NetworkReport, ShapeError

INFER = 999_999_937  # stands for "?" while parsing (a prime no real layer uses)
_LINEAR_Q = re.compile(r"((?:torch\.)?(?:nn\.)?Linear\(\s*)\?")
_KW_Q = re.compile(r"(in_features\s*=\s*)\?")
_LAZY = re.compile(r"(?<![\w.])((?:torch\.)?(?:nn\.)?)LazyLinear\(")
_SHAPE_OK = re.compile(r"^[0-9x×, ]{1,60}$")


@dataclass(frozen=True)
class Preset:
    """A ready-made network for the builder."""

    title: str
    code: str
    shape: str
    note: str


PRESETS: dict[str, Preset] = {
    "simple_cnn": Preset(
        "Course: SimpleCNN (CIFAR-10, 3×32×32)",
        "nn.Sequential(\n    nn.Conv2d(3, 16, 3, padding=1),\n    nn.ReLU(),\n    nn.MaxPool2d(2),\n"
        "    nn.Conv2d(16, 32, 3, padding=1),\n    nn.ReLU(),\n    nn.MaxPool2d(2),\n"
        "    nn.Flatten(),\n    nn.Linear(2048, 128),  # 32·8·8 features\n    nn.ReLU(),\n"
        "    nn.Linear(128, 10),\n)",
        "1x3x32x32",
        "Two 3×3 conv layers (16 and 32 filters, padding 1) each followed by a 2×2 max-pool, then "
        "FC 128 and FC 10: 32·8·8 = 2,048 features reach the first FC layer."),
    "torch_doc": Preset(
        "Sequential(Conv2d(1,20,5), ReLU, Conv2d(20,64,5), ReLU)",
        "nn.Sequential(\n    nn.Conv2d(1, 20, 5),\n    nn.ReLU(),\n    nn.Conv2d(20, 64, 5),\n"
        "    nn.ReLU(),\n)",
        "1x1x28x28",
        "PyTorch's nn.Sequential example: each unpadded 5×5 conv takes 4 pixels off each side "
        "length (28 → 24 → 20)."),
    "course_28": Preset(
        "Course: 28×28 CNN on a batch of 8",
        "nn.Sequential(\n    nn.Conv2d(1, 16, 3, padding=1),\n    nn.MaxPool2d(2, stride=1),\n"
        "    nn.LeakyReLU(),\n    nn.Conv2d(16, 32, 3, stride=2, padding=1),\n"
        "    nn.MaxPool2d(2, stride=2),\n    nn.Conv2d(32, 64, 3, stride=2),\n)",
        "8x1x28x28",
        "What PyTorch really gives (the tests run the real layers): 8×16×28×28 → 8×16×27×27 "
        "(a 2×2 max-pool with stride 1 takes only one pixel off) → 8×32×14×14 → 8×32×7×7 → "
        "8×64×3×3. A printout that halves the size at the first pool (8×16×14×14) has missed "
        "stride=1. Press “Check with PyTorch” to run the real layers here."),
    "lenet_case": Preset(
        "Course: LeNet-like case study (1×28×28)",
        "nn.Sequential(\n    nn.Conv2d(1, 32, 5),\n    nn.ReLU(),\n    nn.MaxPool2d(3),\n"
        "    nn.Conv2d(32, 64, 5),\n    nn.ReLU(),\n    nn.MaxPool2d(2),\n    nn.Flatten(),\n"
        "    nn.Linear(?, 200),\n    nn.ReLU(),\n    nn.Linear(200, 10),\n)",
        "1x1x28x28",
        "conv 32@5×5 → 32×24×24 (832 params, 460,800 products) → max-pool 3 → 32×8×8 → conv 64@5×5 "
        "→ 64×4×4 (51,264 params, 819,200 products) → max-pool 2 → 64×2×2 → FC 200 (256 inputs, "
        "inferred from “?”: 51,400 params) → FC 10 (2,010): 105,506 parameters, 1,333,200 "
        "multiply-accumulates."),
}


@dataclass(frozen=True)
class BuildResult:
    """What the builder shows for one network on one input."""

    input_shape: tuple[int, ...]
    layers: tuple[arith.LayerReport, ...]  # the layers that work, in order
    n_layers: int
    error: str | None  # the first break, with its reason and suggestion
    error_index: int | None
    inferred: tuple[tuple[int, str, int], ...]  # (index, name, in_features)
    torch_code: str
    report: NetworkReport | None  # the whole network's report when nothing breaks

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.layers)

    def to_json(self) -> dict:
        """JSON-ready dict (the ``/build_network`` API answer); numbers beyond 2⁵³ and
        non-finite ones are strings (see :func:`playground.arch.jsonsafe.json_safe`)."""
        last = self.layers[-1] if self.layers else None
        return json_safe({
            "input_shape": list(self.input_shape), "ok": self.error is None,
            "error": self.error, "error_index": self.error_index,
            "layers": [r.to_json() for r in self.layers],
            "output_shape": list(last.output_shape) if last and self.error is None else None,
            "total_params": self.total_params, "total_macs": self.total_macs,
            "receptive_field": last.rf.to_json() if last else None,
            "inferred_in_features": [{"index": i, "name": n, "in_features": f}
                                     for i, n, f in self.inferred],
            "code": self.torch_code,
        })


def _substitute(code: str) -> str:
    code = _LAZY.sub(lambda m: f"{m.group(1)}Linear({INFER}, ", code)
    return _KW_Q.sub(rf"\g<1>{INFER}", _LINEAR_Q.sub(rf"\g<1>{INFER}", code))


def parse(code: str) -> list[tuple[str, arith.LayerSpec]]:
    """Specs of pasted text (``?`` in a Linear's in_features allowed); ``ValueError`` otherwise."""
    if code is not None and not isinstance(code, str):
        raise ValueError(f"the network must be text such as nn.Sequential(...); got {validate.echo(code)}")
    if not code or not code.strip():
        raise ValueError("the network is empty: paste nn.Sequential(...) or add a layer")
    return arith.parse_network(_substitute(code))


def parse_input(input_shape: object) -> tuple[int, ...]:
    """The builder's input shape from text such as ``1x3x32x32`` (or a tuple of ints)."""
    if not isinstance(input_shape, (str, tuple, list)):
        raise ValueError(f"input shape must be text such as 1,3,32,32; got {validate.echo(input_shape)}")
    return arith.parse_shape(input_shape)


def runnable_code(specs: list[tuple[str, arith.LayerSpec]], shape: tuple[int, ...],
                  out_shape: tuple[int, ...] | None, params: int, error: str | None) -> str:
    """A self-contained script that builds the network and runs one input through it."""
    body = arith.to_sequential_code(specs) if specs else "nn.Sequential()"
    lines = ["import torch", "from torch import nn"]
    if "OrderedDict" in body:
        lines.append("from collections import OrderedDict")
    lines += ["", f"model = {body}", "", f"x = torch.randn{tuple(shape)}", "y = model(x)"]
    if error is None and out_shape is not None:
        lines += [f"print(y.shape)  # torch.Size({list(out_shape)})",
                  f"print(sum(p.numel() for p in model.parameters()))  # {params}"]
    else:
        lines.append(f"# raises: {error}")
    return "\n".join(lines) + "\n"


def build(code: str, input_shape: object) -> BuildResult:
    """Analyze ``code`` on ``input_shape``; a shape break is reported, not raised.

    Raises ``ValueError`` only for text that cannot be parsed or an invalid input shape.
    """
    specs = parse(code)
    shape = parse_input(input_shape)
    cur, resolved, inferred = shape, [], []
    for i, (name, spec) in enumerate(specs):
        if isinstance(spec, Linear) and spec.in_features == INFER:
            spec = replace(spec, in_features=cur[-1])
            inferred.append((i, name, cur[-1]))
        resolved.append((name, spec))
        try:
            cur = arith.layer_report(spec, cur, name).output_shape
        except ValueError:
            break
    if any(isinstance(s, Linear) and s.in_features == INFER for _, s in specs[len(resolved):]):
        resolved += [(n, replace(s, in_features=1) if isinstance(s, Linear) and s.in_features == INFER
                      else s) for n, s in specs[len(resolved):]]
    else:
        resolved += specs[len(resolved):]
    try:
        rep = arith.analyze_specs(resolved, shape)
        return BuildResult(shape, rep.layers, len(specs), None, None, tuple(inferred),
                           runnable_code(resolved, shape, rep.output_shape, rep.total_params, None),
                           rep)
    except ShapeError as err:
        idx = err.layer_index if err.layer_index is not None else 0
        ok = arith.analyze_specs(resolved[:idx], shape).layers if idx > 0 else ()
        return BuildResult(shape, ok, len(specs), str(err), idx, tuple(inferred),
                           runnable_code(resolved, shape, None, 0, str(err)), None)


TORCH_MAX_BYTES = 2**63
"""PyTorch computes a storage's size in bytes as an int64: larger tensors cannot exist, not even on
the ``meta`` device ("Storage size calculation overflowed")."""


def torch_check(result: BuildResult, code: str) -> list[tuple[str, tuple[int, ...]]]:
    """Run the real ``torch.nn`` layers and return each layer's output shape as PyTorch gives it.

    Small inputs (every activation ≤ ``limits.MAX_TENSOR_ELEMENTS``) run on real zeros on the
    CPU; larger ones on the ``meta`` device (same shape code, no allocation).
    """
    import torch

    specs = parse(code)
    layers = [(n, replace(s, in_features=i) if isinstance(s, Linear) and s.in_features == INFER
               else s) for (n, s), i in zip(specs, _inferred_list(result, len(specs)))]
    big = max([prod(result.input_shape)] + [prod(r.output_shape) for r in result.layers])
    if big * 4 >= TORCH_MAX_BYTES:
        raise ValueError(f"the largest tensor here has {big:,} elements: its fp32 storage "
                         f"({big * 4:.3g} bytes) is beyond what PyTorch can represent even on the "
                         f"meta device (2^63 bytes), so it cannot be checked against PyTorch; the "
                         f"shapes computed above are exact")
    device = "cpu" if big <= limits.MAX_TENSOR_ELEMENTS else "meta"
    out: list[tuple[str, tuple[int, ...]]] = []
    with torch.no_grad(), torch.device(device):
        x = torch.zeros(result.input_shape)
        for name, spec in layers:
            mod = arith.to_torch(spec).eval()
            try:
                x = mod(x)
            except Exception as err:  # noqa: BLE001 - PyTorch's own message is the answer
                msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                out.append((f"{name}: PyTorch raises: {msg}", ()))
                break
            out.append((name, tuple(x.shape)))
    return out


def _inferred_list(result: BuildResult, n: int) -> list[int]:
    vals = {i: f for i, _, f in result.inferred}
    return [vals.get(i, 1) for i in range(n)]


def append_layer(code: str, layer_type: str, args: str) -> str:
    """``code`` with ``nn.<layer_type>(<args>)`` appended to its Sequential (the form composer)."""
    if not isinstance(layer_type, str) or layer_type not in arith.LAYERS:
        raise ValueError(f"unknown layer type {validate.echo(layer_type)}; choose one of "
                         f"{', '.join(sorted(arith.LAYERS))}")
    args = validate.text(args, "layer arguments", 200).strip()
    layer = f"nn.{layer_type}({args})"
    parse(layer)  # validates the layer on its own (ValueError names what is wrong)
    code = validate.text(code, "the network code").strip()
    if not code:
        new = f"nn.Sequential(\n    {layer},\n)"
    elif code.endswith("]))"):
        name = f"layer{len(parse(code))}"
        head = code[:-3].rstrip().rstrip(",")
        new = f"{head},\n    ({name!r}, {layer}),\n]))"
    elif code.endswith(")"):
        head = code[:-1].rstrip()
        sep = "" if head.endswith(("(", ",")) else ","
        new = f"{head}{sep}\n    {layer},\n)"
    else:
        raise ValueError("the code must end with the Sequential's closing parenthesis")
    if len(parse(new)) > limits.MAX_LAYERS:
        raise ValueError(f"at most {limits.MAX_LAYERS} layers")
    return new


def remove_last_layer(code: str) -> str:
    """``code`` without its last layer, regenerated from the parsed specs (``?`` kept)."""
    specs = parse(code)[:-1]
    if not specs:
        return ""
    text = arith.to_sequential_code(specs)
    return text.replace(f"Linear({INFER},", "Linear(?,").replace(
        f"in_features={INFER}", "in_features=?")


# ---------------------------------------------------------------------------------------------
# shareable links
def encode_share(code: str, shape: str) -> str:
    """``net=<base64url(code)>&shape=<shape>`` for the page's query string."""
    code = code or ""
    if len(code) > limits.MAX_SHARE_CODE_CHARS:
        raise ValueError(f"the code is too long to share in a link ({len(code):,} characters; "
                         f"at most {limits.MAX_SHARE_CODE_CHARS:,})")
    try:
        raw = code.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the code contains characters that cannot be shared (not UTF-8)") from None
    net = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    s = str(shape or "").replace(" ", "")
    return f"net={net}&shape={s}"


def decode_share(params: dict) -> tuple[str, str] | None:
    """``(code, shape)`` from query parameters, ``None`` when there is no ``net``.

    ``ValueError`` for a link that is too long, not base64url, not UTF-8 or has an odd shape.
    """
    net = params.get("net")
    if not net:
        return None
    net = str(net)
    cap = 4 * ((limits.MAX_SHARE_CODE_CHARS * 4 + 2) // 3) // 3 + 8
    if len(net) > cap:
        raise ValueError(f"the shared network is too long ({len(net):,} characters in the link)")
    if not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", net):
        raise ValueError("the shared network is not valid base64url")
    try:
        code = base64.urlsafe_b64decode(net + "=" * (-len(net) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("the shared network could not be decoded (base64url of UTF-8 text)") from None
    if len(code) > limits.MAX_SHARE_CODE_CHARS:
        raise ValueError("the shared network is too long")
    shape = str(params.get("shape") or "1x3x32x32")
    if not _SHAPE_OK.fullmatch(shape):
        raise ValueError(f"the shared input shape {shape[:40]!r} is not like 1x3x32x32")
    return code, shape
