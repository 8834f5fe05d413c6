"""Compare architectures: parameters against MACs (bubble area = activation memory), plus the
course's summary of year, salient feature and *published* top-5 accuracy.

Every plotted number is computed here at each network's default input (224×224 for the ImageNet
networks; see :mod:`playground.arch.zoo`); the accuracies are not: they are the figures the papers
and the course quote for ILSVRC (ImageNet) top-5, and are labelled as such everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from playground import validate
from playground.arch import zoo
from playground.arch.table import architecture_table

DEFAULT_SET = ("alexnet_original", "alexnet", "vgg11", "vgg16", "vgg19", "googlenet",
               "resnet18", "resnet34", "resnet50")


@dataclass(frozen=True)
class Published:
    """A published ILSVRC figure as the course quotes it (not measured by this app)."""

    network: str
    year: int
    feature: str
    top5: float  # percent
    source: str


PUBLISHED: tuple[Published, ...] = (
    Published("AlexNet", 2012, "deep CNN on GPUs: ReLU, dropout, data augmentation, LRN", 84.7,
              "Krizhevsky et al. 2012 (ILSVRC-2012, top-5 error 15.3 %)"),
    Published("VGG", 2014, "depth with small 3×3 kernels only (16-19 layers)", 92.3,
              "Simonyan & Zisserman 2014 (ILSVRC-2014 entry, top-5 error 7.3 %)"),
    Published("Inception (GoogLeNet)", 2014, "Inception modules, 1×1 reductions, 22 layers", 93.3,
              "Szegedy et al. 2014 (ILSVRC-2014 winner, top-5 error 6.67 %)"),
    Published("ResNet-152", 2015, "residual (skip) connections, 152 layers", 95.51,
              "He et al. 2015 (single model, top-5 error 4.49 %)"),
)


@dataclass(frozen=True)
class Point:
    """One architecture at its default input."""

    key: str
    title: str
    family: str
    year: int
    input_shape: tuple[int, ...]
    params: int
    macs: int
    act_bytes: int


def check_keys(keys: object) -> tuple[str, ...]:
    """The architectures to compare: known keys, each once, in the given order.

    ``None`` or an empty selection gives :data:`DEFAULT_SET`; anything else that is not a list of
    registry keys is a ``ValueError`` naming the first bad entry.
    """
    if keys is None or (isinstance(keys, (list, tuple)) and not keys):
        return DEFAULT_SET
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, (list, tuple)):
        raise ValueError(f"architectures must be a list of names; got {validate.echo(keys)}")
    known = zoo.names()
    out: list[str] = []
    for k in keys:
        if not isinstance(k, str) or k.strip() not in known:
            raise ValueError(f"unknown architecture {validate.echo(k)}; choose from: {', '.join(known)}")
        if k.strip() not in out:
            out.append(k.strip())
    return tuple(out)


@lru_cache(maxsize=None)  # one entry per registry key: a few dozen small frozen records
def point(key: str) -> Point:
    """One architecture at its default input (traced once per process, then cached).

    Cached apart from the per-shape table cache, which the explorer's arbitrary shapes can evict.
    """
    info = zoo.get(key)
    t = architecture_table(info.key)
    return Point(info.key, info.title, info.family, info.year, t.input_shape, t.total_params,
                 t.total_macs, t.total_act_bytes)


def points(keys: tuple[str, ...] | list[str] = DEFAULT_SET) -> list[Point]:
    """Parameters, MACs and activation memory of each architecture at its default input."""
    return [point(k) for k in check_keys(keys)]


def published_table() -> list[list[str]]:
    """Rows for the course's summary table (accuracy column explicitly marked "published")."""
    return [[p.network, str(p.year), p.feature, f"{p.top5} % (published)", p.source]
            for p in PUBLISHED]


PUBLISHED_HEADERS = ["network", "year", "salient feature", "top-5 (published, not measured here)",
                     "source"]


def bubble_figure(keys: tuple[str, ...] | list[str] = DEFAULT_SET):  # noqa: ANN201 - Figure
    """Matplotlib figure: log-log parameters (x) against MACs (y); bubble area ∝ activations."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    pts = points(keys)
    fig = Figure(figsize=(8, 5.2), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    biggest = max(p.act_bytes for p in pts)
    families = sorted({p.family for p in pts})
    colours = dict(zip(families, ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3",
                                  "#937860", "#DA8BC3", "#8C8C8C")))
    for i, p in enumerate(sorted(pts, key=lambda q: q.macs)):
        size = 40 + 1800 * p.act_bytes / biggest
        ax.scatter(p.params, p.macs, s=size, alpha=0.55, color=colours[p.family],
                   edgecolors="black", linewidths=0.6)
        ax.annotate(f"{p.key} ({p.act_bytes / 2**20:,.0f} MiB)", (p.params, p.macs), fontsize=7,
                    xytext=(-12 if i % 2 else 12, 10 if i % 2 else -10),
                    textcoords="offset points", ha="right" if i % 2 else "left", va="center")
    for fam in families:
        ax.scatter([], [], color=colours[fam], alpha=0.55, label=fam)
    ax.margins(x=0.35, y=0.25)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("MACs per image (default input)")
    ax.set_title("Parameters vs MACs; bubble area = activation memory (fp32, sum of layer outputs)",
                 fontsize=9)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="lower right")
    # fixed margins instead of tight_layout(): same look for this fixed-size figure, ~0.2 s less
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.1, top=0.94)
    return fig


def points_table(keys: tuple[str, ...] | list[str] = DEFAULT_SET) -> list[list[str]]:
    """The chart's numbers as rows (exact integers, formatted)."""
    return [[p.title, str(p.year), "×".join(map(str, p.input_shape[1:])), f"{p.params:,}",
             f"{p.macs:,}", f"{p.act_bytes / 2**20:,.1f} MiB"] for p in points(keys)]


POINTS_HEADERS = ["architecture", "year", "input", "parameters", "MACs",
                  "activation memory (fp32)"]
