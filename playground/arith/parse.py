"""Safe parsing of pasted PyTorch text into layer specs: ``ast`` with a whitelist, never eval/exec.

Accepted (anything else is refused with a ``ValueError`` naming what was found and where):

- one expression, optionally assigned to a plain name (``model = nn.Sequential(...)``), or several
  lines of layers (taken in order as one Sequential), possibly
  preceded by the imports ``import torch``, ``import torch.nn as nn``, ``from torch import nn``,
  ``from collections import OrderedDict`` (they are not executed, only allowed);
- a layer call ``nn.X(...)``, ``torch.nn.X(...)`` or ``X(...)`` of a supported layer;
- ``nn.Sequential(layer, ...)`` (nested Sequentials are flattened with names ``"2.0"``) and
  ``nn.Sequential(OrderedDict([("name", layer), ...]))``; a bare tuple/list of layers;
- arguments: int/float/bool/str/None literals, negative numbers, and tuples/lists of those.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any, Callable

from playground.limits import MAX_CODE_CHARS, MAX_LAYERS

from .errors import ShapeError
from .specs import (
    ActKind, Activation, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm2d, Conv2d,
    ConvTranspose2d, Dropout, Flatten, LayerSpec, Linear, MaxPool2d, MaxUnpool2d,
)

MAX_NESTING = 32
"""Deepest bracket nesting accepted in pasted text (checked before ``ast.parse``)."""


def _act(kind: ActKind) -> Callable[..., Activation]:
    def make(**kw: Any) -> Activation:
        return Activation(kind, **kw)
    return make


# torch.nn class -> (spec factory, positional parameter names in torch's order)
LAYERS: dict[str, tuple[Callable[..., LayerSpec], tuple[str, ...]]] = {
    "Conv2d": (Conv2d, ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                        "dilation", "groups", "bias", "padding_mode")),
    "ConvTranspose2d": (ConvTranspose2d, ("in_channels", "out_channels", "kernel_size", "stride",
                                          "padding", "output_padding", "groups", "bias", "dilation",
                                          "padding_mode")),
    "MaxPool2d": (MaxPool2d, ("kernel_size", "stride", "padding", "dilation", "return_indices",
                              "ceil_mode")),
    "AvgPool2d": (AvgPool2d, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                              "divisor_override")),
    "AdaptiveAvgPool2d": (AdaptiveAvgPool2d, ("output_size",)),
    "AdaptiveMaxPool2d": (AdaptiveMaxPool2d, ("output_size", "return_indices")),
    "MaxUnpool2d": (MaxUnpool2d, ("kernel_size", "stride", "padding")),
    "Linear": (Linear, ("in_features", "out_features", "bias")),
    "Flatten": (Flatten, ("start_dim", "end_dim")),
    "Dropout": (Dropout, ("p", "inplace")),
    "BatchNorm2d": (BatchNorm2d, ("num_features", "eps", "momentum", "affine",
                                  "track_running_stats")),
    "ReLU": (_act(ActKind.RELU), ("inplace",)),
    "LeakyReLU": (_act(ActKind.LEAKY_RELU), ("negative_slope", "inplace")),
    "Sigmoid": (_act(ActKind.SIGMOID), ()),
    "Tanh": (_act(ActKind.TANH), ()),
    "Softmax": (_act(ActKind.SOFTMAX), ("dim",)),
    "GELU": (_act(ActKind.GELU), ("approximate",)),
}
_ALLOWED_IMPORTS = {("torch", None), ("torch.nn", "nn"), ("collections", None)}


def _where(node: ast.AST) -> str:
    """1-based line and column, as editors show them."""
    return f"line {getattr(node, 'lineno', '?')}, col {getattr(node, 'col_offset', -2) + 1}"


def _refuse(node: ast.AST, what: str) -> ValueError:
    return ValueError(f"{_where(node)}: {what} is not allowed (only nn.<Layer>(...) calls with "
                      f"literal arguments are accepted)")


def _describe(node: ast.AST) -> str:
    kinds = {ast.Lambda: "a lambda", ast.Name: "the name", ast.Attribute: "attribute access",
             ast.Subscript: "subscripting", ast.JoinedStr: "an f-string", ast.BinOp: "arithmetic",
             ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
             ast.DictComp: "a comprehension", ast.SetComp: "a comprehension",
             ast.Dict: "a dict", ast.Set: "a set", ast.Starred: "unpacking (*)",
             ast.Compare: "a comparison", ast.BoolOp: "a boolean operator", ast.IfExp: "an if-expression",
             ast.Await: "await", ast.NamedExpr: "an assignment expression", ast.Call: "a call"}
    desc = kinds.get(type(node), type(node).__name__)
    try:
        src = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse of odd nodes
        src = ""
    if len(src) > 40:
        src = src[:37] + "..."
    return f"{desc} `{src}`" if src else desc


def _dotted(node: ast.AST) -> str | None:
    """'nn.Conv2d' for Attribute chains of plain names, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _callee(node: ast.Call) -> str:
    """The bare class name of a whitelisted call (``nn.X``, ``torch.nn.X``, ``X``)."""
    name = _dotted(node.func)
    if name is None:
        raise _refuse(node.func, _describe(node.func))
    for prefix in ("torch.nn.", "nn.", "collections.", ""):
        if name.startswith(prefix) and "." not in name[len(prefix):]:
            bare = name[len(prefix):]
            if prefix == "collections." and bare != "OrderedDict":
                break
            if bare in LAYERS or bare in ("Sequential", "OrderedDict"):
                return bare
            if prefix in ("torch.nn.", "nn."):
                raise ValueError(f"{_where(node)}: nn.{bare} is not supported; supported layers: "
                                 + ", ".join(LAYERS))
            break
    raise _refuse(node.func, f"calling `{name}`")


def _literal(node: ast.AST, depth: int = 0) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool, str, type(None))):
        if isinstance(node.value, str) and len(node.value) > 32:
            raise ValueError(f"{_where(node)}: string argument too long ({len(node.value)} chars)")
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float)):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, (ast.Tuple, ast.List)) and depth < 1:
        if len(node.elts) > 4:
            raise ValueError(f"{_where(node)}: tuple argument with {len(node.elts)} entries is too long")
        return tuple(_literal(e, depth + 1) for e in node.elts)
    raise _refuse(node, _describe(node))


def _layer(node: ast.Call, name: str, index: int) -> LayerSpec:
    bare = _callee(node)
    factory, params = LAYERS[bare]
    kwargs: dict[str, Any] = {}
    if len(node.args) > len(params):
        raise ValueError(f"{_where(node)}: nn.{bare}() takes at most {len(params)} positional "
                         f"arguments, got {len(node.args)}")
    for pname, arg in zip(params, node.args):
        kwargs[pname] = _literal(arg)
    for kw in node.keywords:
        if kw.arg is None:
            raise _refuse(kw.value, "`**` unpacking")
        if kw.arg not in params:
            raise ValueError(f"{_where(kw.value)}: nn.{bare}() got an unexpected keyword argument "
                             f"'{kw.arg}' (accepted: {', '.join(params) or 'none'})")
        if kw.arg in kwargs:
            raise ValueError(f"{_where(kw.value)}: nn.{bare}() got multiple values for '{kw.arg}'")
        kwargs[kw.arg] = _literal(kw.value)
    try:
        return factory(**kwargs)
    except ShapeError as e:
        raise ShapeError(f"{_where(node)}: {e.reason}", suggestion=e.suggestion,
                         layer_index=index, layer_name=name, layer_type=bare) from None
    except TypeError as e:  # missing required argument
        msg = str(e).split("__init__() ")[-1].replace("make() ", "")
        raise ValueError(f"{_where(node)}: nn.{bare}() {msg}") from None


def _items(node: ast.AST, name: str | None, out: list[tuple[str, LayerSpec]]) -> None:
    """Append (name, spec) pairs for a layer / Sequential / tuple node.

    ``name`` is the node's name inside its parent Sequential ("3", "conv1"); None for a top-level
    node, whose layers are then named by position like a top-level Sequential's ("0", "1", ...).
    """
    if isinstance(node, (ast.Tuple, ast.List)):
        for elt in node.elts:
            _items(elt, None, out)
        return
    if not isinstance(node, ast.Call):
        raise _refuse(node, _describe(node))
    bare = _callee(node)
    if bare == "OrderedDict":
        raise ValueError(f"{_where(node)}: OrderedDict must be the only argument of nn.Sequential")
    if bare != "Sequential":
        if len(out) >= MAX_LAYERS:
            raise ValueError(f"too many layers: at most {MAX_LAYERS} are accepted")
        lname = str(len(out)) if name is None else name
        out.append((lname, _layer(node, lname, len(out))))
        return
    if node.keywords:
        raise _refuse(node.keywords[0].value, "a keyword argument to nn.Sequential")
    base = "" if name is None else f"{name}."
    args = node.args
    if len(args) == 1 and isinstance(args[0], ast.Call) and _callee(args[0]) == "OrderedDict":
        od = args[0]
        if len(od.args) != 1 or od.keywords or not isinstance(od.args[0], (ast.List, ast.Tuple)):
            raise ValueError(f"{_where(od)}: OrderedDict takes one list of (\"name\", layer) pairs")
        for pair in od.args[0].elts:
            if not (isinstance(pair, (ast.Tuple, ast.List)) and len(pair.elts) == 2
                    and isinstance(pair.elts[0], ast.Constant) and isinstance(pair.elts[0].value, str)):
                raise ValueError(f"{_where(pair)}: each OrderedDict entry must be a (\"name\", layer) pair")
            lname = pair.elts[0].value
            if not lname or len(lname) > 64 or "." in lname:
                raise ValueError(f"{_where(pair)}: layer name {lname[:64]!r} must be 1-64 chars without '.'")
            _items(pair.elts[1], base + lname, out)
        return
    for i, arg in enumerate(args):
        if isinstance(arg, ast.Starred):
            raise _refuse(arg, _describe(arg))
        _items(arg, base + str(i), out)


def _nesting(code: str) -> int:
    depth = best = 0
    for ch in code:
        if ch in "([{":
            depth += 1
            best = max(best, depth)
        elif ch in ")]}":
            depth -= 1
    return best


def parse_network(code: str) -> list[tuple[str, LayerSpec]]:
    """(name, spec) for every layer in pasted PyTorch text; raises ValueError (never executes it)."""
    if not isinstance(code, str):
        raise ValueError(f"code must be text, got {type(code).__name__}")
    if len(code) > MAX_CODE_CHARS:
        raise ValueError(f"code is too long: {len(code):,} characters (at most {MAX_CODE_CHARS:,})")
    if not code.strip():
        raise ValueError("code is empty; paste e.g. nn.Conv2d(3, 16, kernel_size=3)")
    if _nesting(code) > MAX_NESTING:
        raise ValueError(f"code is nested too deeply (more than {MAX_NESTING} levels of brackets)")
    try:
        tree = ast.parse(textwrap.dedent(code), mode="exec")
    except SyntaxError as e:
        raise ValueError(f"line {e.lineno}, col {e.offset}: syntax error: {e.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ValueError("code could not be parsed (too complex)") from None
    exprs: list[ast.AST] = []
    assigned = False
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and all((a.name, a.asname) in _ALLOWED_IMPORTS for a in stmt.names):
            continue
        if (isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and
                ((stmt.module == "torch" and [(a.name, a.asname) for a in stmt.names] == [("nn", None)])
                 or (stmt.module == "collections"
                     and [(a.name, a.asname) for a in stmt.names] == [("OrderedDict", None)]))):
            continue
        if assigned:
            raise _refuse(stmt, "a second statement after the assignment")
        if isinstance(stmt, ast.Expr):  # several lines of layers are taken in order
            exprs.append(stmt.value)
        elif (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
              and isinstance(stmt.targets[0], ast.Name)):
            if exprs:
                raise _refuse(stmt, "an assignment after other statements")
            exprs.append(stmt.value)
            assigned = True
        else:
            raise _refuse(stmt, f"the statement `{type(stmt).__name__}`")
    if not exprs:
        raise ValueError("no layer found; paste e.g. nn.Conv2d(3, 16, kernel_size=3)")
    expr: ast.AST = exprs[0] if len(exprs) == 1 else ast.Tuple(elts=exprs, ctx=ast.Load())
    out: list[tuple[str, LayerSpec]] = []
    _items(expr, None, out)
    if not out:
        raise ValueError("no layer found: the Sequential is empty")
    return out
