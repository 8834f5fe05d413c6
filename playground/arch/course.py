"""The course's three layer tables (AlexNet, VGG16, ResNet18), recomputed, with notes where the
course's version is simplified or wrong.

Each table is derived from :func:`playground.arch.table.architecture_table` (symbolic, exact),
keeping the rows a course table lists (conv, pool, FC; plus, marked ``+``, the rows the course
leaves out). Parameters: conv ``C_out·(C_in/groups·k_h·k_w + 1)`` (``+1`` only with a bias),
linear ``out·(in + 1)``, BatchNorm ``2·C`` (γ and β; the running mean/var are buffers, not
parameters), pooling/ReLU/LRN/dropout 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from playground.arch.table import Row, architecture_table

VGG16_COURSE_TOTAL = 138_423_208  # the course's printed total
VGG16_COURSE_POOL_PARAMS = 65_664  # what its max-pool row claims
ALEXNET_COURSE_TOTAL = 62_378_344
RESNET18_TORCHVISION_TOTAL = 11_689_512
SHOWN_TYPES = ("Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Linear",
               "LocalResponseNorm", "BatchNorm2d")


@dataclass(frozen=True)
class CourseRow:
    """One row as a course table prints it (shapes without the batch dimension)."""

    layer: str
    type: str
    input: str
    output: str
    kernel: str
    stride: str
    padding: str
    params: int
    extra: bool  # True: a row the course's table leaves out (marked "+")


@dataclass(frozen=True)
class CourseTable:
    """A recomputed course table, its totals and the notes on where the course differs."""

    key: str
    title: str
    arch: str
    input_shape: tuple[int, ...]
    rows: tuple[CourseRow, ...]
    app_total: int
    course_total: int
    notes: tuple[str, ...]
    course_label: str = "course total"

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {"key": self.key, "title": self.title, "arch": self.arch,
                "input_shape": list(self.input_shape), "app_total": self.app_total,
                "course_total": self.course_total, "course_label": self.course_label,
                "notes": list(self.notes),
                "rows": [r.__dict__ for r in self.rows]}


def _chw(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape[1:]))


def _hw(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    a, b = v  # type: ignore[misc]
    return str(a) if a == b else f"{a}×{b}"


def _course_row(r: Row, extra: bool = False) -> CourseRow:
    return CourseRow(r.name, r.type, _chw(r.input_shape), _chw(r.output_shape), _hw(r.kernel),
                     _hw(r.stride), _hw(r.padding), r.params, extra)


def _alexnet() -> CourseTable:
    t = architecture_table("alexnet_original", (1, 3, 227, 227))
    tv = architecture_table("alexnet", (1, 3, 224, 224))
    rows = tuple(_course_row(r, r.type == "LocalResponseNorm") for r in t.rows
                 if r.type in SHOWN_TYPES)
    convs = [r for r in t.rows if r.type == "Conv2d"]
    grouped = sum(r.params - (r.params - r.output_shape[1]) // 2 - r.output_shape[1]
                  for i, r in enumerate(convs) if i in (1, 3, 4))
    notes = (
        f"Total {t.total_params:,} parameters, as in the course's table "
        f"(conv {sum(r.params for r in convs):,} + FC {t.total_params - sum(r.params for r in convs):,}:"
        " 94 % of the weights sit in the three FC layers).",
        "Input 227×227: the paper says 224×224, but (224 − 11)/4 + 1 = 54.25 is not an integer; "
        "227 gives (227 − 11)/4 + 1 = 55 exactly. At 224 the original network ends with 256×5×5 = "
        "6,400 features and FC6 (9,216 inputs) fails: try it in the explorer.",
        "Rows marked + (LocalResponseNorm after conv1 and conv2) have no parameters; many tables "
        "leave them out. ReLU and dropout rows are not shown (0 parameters).",
        f"The paper's two-GPU version splits conv2, conv4 and conv5 into two groups (groups=2), "
        f"which halves their weights: {t.total_params - grouped:,} parameters.",
        f"torchvision's alexnet is the later 'one weird trick' variant: 64-192-384-256-256 "
        f"channels, 11×11/4 conv1 with padding 2 and an adaptive 6×6 average pool: "
        f"{tv.total_params:,} parameters ({t.total_params - tv.total_params:,} fewer), "
        f"{tv.total_macs:,} MACs at 224 against {t.total_macs:,} at 227.",
    )
    return CourseTable("alexnet", "AlexNet (course table: original, single tower, 227×227)",
                       "alexnet_original", t.input_shape, rows, t.total_params,
                       ALEXNET_COURSE_TOTAL, notes)


def _vgg16() -> CourseTable:
    t = architecture_table("vgg16", (1, 3, 224, 224))
    rows = tuple(_course_row(r) for r in t.rows if r.type in SHOWN_TYPES)
    conv = sum(r.params for r in t.rows if r.type == "Conv2d")
    notes = (
        f"The app's total is {t.total_params:,} (= sum(p.numel()) of torchvision's vgg16). "
        f"The course's table totals {VGG16_COURSE_TOTAL:,}: {VGG16_COURSE_TOTAL - t.total_params:,} "
        f"too many, because one of its max-pool rows is given {VGG16_COURSE_POOL_PARAMS:,} "
        "parameters. Pooling has no parameters.",
        f"Conv layers hold {conv:,} parameters, the three FC layers {t.total_params - conv:,} "
        f"({(t.total_params - conv) / t.total_params:.1%}); FC6 alone (25,088 → 4,096) has "
        "102,764,544.",
        f"Forward pass: {t.total_macs:,} MACs (≈ 15.5 G), about twice as many FLOPs.",
        "torchvision adds AdaptiveAvgPool2d((7, 7)) before FC6 so that other input sizes work; "
        "at 224×224 it is the identity (7×7 in, 7×7 out).",
    )
    return CourseTable("vgg16", "VGG16 (course table, 224×224)", "vgg16", t.input_shape, rows,
                       t.total_params, VGG16_COURSE_TOTAL, notes)


def _resnet18() -> CourseTable:
    t = architecture_table("resnet18", (1, 3, 224, 224))
    rows = []
    for r in t.rows:
        if r.type not in SHOWN_TYPES:
            continue
        rows.append(_course_row(r, r.type == "BatchNorm2d" or ".downsample" in r.name))
    bn = sum(r.params for r in t.rows if r.type == "BatchNorm2d" and ".downsample" not in r.name)
    proj = [r for r in t.rows if ".downsample" in r.name]
    proj_conv = sum(r.params for r in proj if r.type == "Conv2d")
    proj_bn = sum(r.params for r in proj if r.type == "BatchNorm2d")
    simplified = t.total_params - bn - proj_conv - proj_bn
    notes = (
        f"torchvision's resnet18: {t.total_params:,} parameters. The course's simplified table "
        f"lists only the main-path convolutions, the pools and the FC layer: {simplified:,}.",
        f"The difference, {t.total_params - simplified:,}, is (1) the BatchNorm layers after every "
        f"main-path conv: {bn:,} parameters (γ and β per channel; the running mean and variance are "
        f"buffers, not parameters), and (2) the three projection shortcuts (1×1 conv, stride 2, "
        f"+ BN) where the width doubles and the size halves (layer2.0, layer3.0, layer4.0): "
        f"{proj_conv:,} in the 1×1 convs and {proj_bn:,} in their BN.",
        "The convolutions have no bias (bias=False): BN's β does that job. A table that adds a "
        "bias to each conv overcounts by its output channels.",
        "Rows marked + are the ones the course's table leaves out. The identity shortcuts and "
        "the additions have no parameters and are not rows at all (they are functional).",
        f"Forward pass: {t.total_macs:,} MACs (≈ 1.8 G).",
    )
    return CourseTable("resnet18", "ResNet18 (course table, 224×224)", "resnet18", t.input_shape,
                       tuple(rows), t.total_params, simplified, notes,
                       "course-style total (rows without +)")


COURSE_TABLES = {"alexnet": _alexnet, "vgg16": _vgg16, "resnet18": _resnet18}


@lru_cache(maxsize=8)
def course_table(key: str) -> CourseTable:
    """One of ``"alexnet"``, ``"vgg16"``, ``"resnet18"``; ``ValueError`` otherwise."""
    if key not in COURSE_TABLES:
        raise ValueError(f"unknown course table {key!r}; choose one of {sorted(COURSE_TABLES)}")
    return COURSE_TABLES[key]()


def render_text(ct: CourseTable) -> str:
    """Fixed-width text (used for the golden files and the copy button)."""
    head = ("layer", "type", "input", "output", "kernel", "stride", "pad", "params")
    body = [(("+ " if r.extra else "") + r.layer, r.type, r.input, r.output, r.kernel, r.stride,
             r.padding, f"{r.params:,}") for r in ct.rows]
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    line = lambda cells: "  ".join(  # noqa: E731
        str(c).rjust(w) if i == len(cells) - 1 else str(c).ljust(w)
        for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    out = [ct.title, "", line(head), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    out += ["", f"app total (sum of p.numel()): {ct.app_total:,}",
            f"{ct.course_label}: {ct.course_total:,}", "", "notes:"]
    out += [f"- {n}" for n in ct.notes]
    return "\n".join(out) + "\n"
