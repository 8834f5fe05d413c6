"""Per-layer tables of every architecture, cross-checked against PyTorch at two input sizes.

Totals must equal ``sum(p.numel())`` of the model and the per-row MACs must sum to
``torch.utils.flop_counter.FlopCounterMode``'s total ÷ 2 (run on the meta device: no allocation).
"""

from __future__ import annotations

import threading
import tracemalloc

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from playground.arch import zoo
from playground.arch.table import architecture_table

# two input sizes per architecture (C×H×W or N×C×H×W)
SIZES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "lenet5": ((1, 32, 32), (2, 1, 35, 35)),
    "alexnet_original": ((3, 227, 227), (2, 3, 235, 235)),
    "unet_paper": ((1, 572, 572), (1, 508, 508)),
    "unet_lgg": ((3, 256, 256), (2, 3, 100, 120)),
    "cifar_vgg": ((3, 32, 32), (2, 3, 64, 48)),
    "cifar_resnet": ((3, 32, 32), (2, 3, 64, 48)),
}
DEFAULT_SIZES = ((3, 224, 224), (2, 3, 256, 256))
EXPECTED = {"lenet5", "alexnet_original", "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
            "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "googlenet", "resnet18", "resnet34",
            "resnet50", "unet_paper", "unet_lgg", "cifar_vgg", "cifar_resnet"}
CASES = [(n, s) for n in zoo.names() for s in SIZES.get(n, DEFAULT_SIZES)]


def test_registry_has_every_architecture() -> None:
    assert EXPECTED <= set(zoo.names()), EXPECTED - set(zoo.names())


@pytest.mark.parametrize(("name", "size"), CASES, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in CASES])
def test_totals_match_pytorch(name: str, size: tuple[int, ...]) -> None:
    t = architecture_table(name, size)
    model = zoo.meta_model(name)
    assert t.total_params == sum(p.numel() for p in model.parameters())
    assert sum(r.params for r in t.rows) == t.total_params
    shape = size if len(size) == 4 else (1, *size)
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        y = model(torch.empty(shape, device="meta"))
    assert fc.get_total_flops() == 2 * t.total_macs == 2 * sum(r.macs for r in t.rows)
    assert t.output_shape == tuple(y.shape)
    assert t.total_act_bytes == sum(4 * _numel(r.output_shape) for r in t.rows)
    # rows chain: blocks are contiguous runs and cover every row exactly once at depth 1
    top = [b for b in t.blocks if b.depth == 1]
    assert [i for b in top for i in range(b.first, b.last + 1)] == list(range(len(t.rows)))
    assert sum(b.params for b in top) == t.total_params
    assert sum(b.macs for b in top) == t.total_macs
    for b in t.blocks:
        assert all((t.rows[i].sub if b.depth == 2 else t.rows[i].block) == b.id
                   for i in range(b.first, b.last + 1))


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def test_known_param_counts_and_receptive_fields() -> None:
    counts = {"alexnet_original": 62_378_344, "alexnet": 61_100_840, "vgg16": 138_357_544,
              "resnet18": 11_689_512, "resnet50": 25_557_032, "googlenet": 6_624_904,
              "lenet5": 61_706}
    for name, n in counts.items():
        assert architecture_table(name).total_params == n, name
    vgg = architecture_table("vgg16", 224)
    assert [r.rf for r in vgg.rows if r.name == "features.30"] == [(212, 212)]
    r18 = architecture_table("resnet18", 224)
    assert [b.rf for b in r18.blocks if b.id == "layer4.1"] == [(435, 435)]
    assert r18.rows[-1].rf is None  # the FC layer sees the whole input
    alex = architecture_table("alexnet_original", 227)
    assert alex.rows[0].rf == (11, 11) and alex.rows[0].jump == ("4", "4")
    assert alex.rows[0].output_shape == (1, 96, 55, 55)


def test_blocks_group_stages_blocks_and_inception_branches() -> None:
    vgg = architecture_table("vgg16")
    stages = [b for b in vgg.blocks if b.type == "stage"]
    assert [b.output_shape[1:] for b in stages] == [(64, 112, 112), (128, 56, 56), (256, 28, 28),
                                                    (512, 14, 14), (512, 7, 7)]
    r50 = architecture_table("resnet50")
    assert sum(b.type == "Bottleneck" for b in r50.blocks) == 16
    assert {b.id for b in r50.blocks if b.depth == 2} == {
        f"layer{i}.0.downsample" for i in range(1, 5)}
    g = architecture_table("googlenet")
    inc = [b for b in g.blocks if b.type == "Inception"]
    assert len(inc) == 9
    a3 = next(b for b in g.blocks if b.id == "inception3a")
    assert a3.output_shape == (1, 256, 28, 28)  # 64 + 128 + 32 + 32 concatenated
    branches = [b for b in g.blocks if b.parent == "inception3a"]
    assert [b.output_shape[1] for b in branches] == [64, 128, 32, 32]
    assert sum(b.params for b in branches) == a3.params


def test_too_small_input_names_the_layer() -> None:
    with pytest.raises(ValueError, match=r"size collapses at layer features\.5 \(MaxPool2d"):
        architecture_table("alexnet", "3x16x16")
    with pytest.raises(ValueError, match=r"classifier\.1.*in_features=9216.*6,400"):
        architecture_table("alexnet_original", 224)  # 224 is not the original's input size
    with pytest.raises(ValueError, match=r"conv1 .*whose input is 1×1×224×224"):
        architecture_table("resnet50", "1x224x224")  # wrong channel count


@pytest.mark.parametrize(("name", "shape", "match"), [
    ("nope", None, "unknown architecture 'nope'; choose one of: lenet5"),
    ("resnet18", "3x-5x224", "height H must be >= 1, got -5"),
    ("resnet18", "0", "height H must be >= 1, got 0"),
    ("resnet18", "3x224x224x1x1", "1 to 4 numbers"),
    ("resnet18", "abc", "must be integers"),
    ("resnet18", (3, 2.5, 4), "must hold integers"),
    ("resnet18", "3x10000000000x10", "<= 1,000,000,000"),
    ("resnet18", "64x3x1000000000x1000000000", "limit is"),
])
def test_bad_input_is_a_value_error(name: str, shape: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        architecture_table(name, shape)


def test_absurd_size_is_symbolic() -> None:
    tracemalloc.start()
    try:
        t = architecture_table("vgg19", "3x1000000x1000000")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, peak  # a few MB of Python objects, not terabytes of tensors
    assert t.rows[0].output_shape == (1, 64, 10**6, 10**6)
    assert t.rows[0].act_bytes == 4 * 64 * 10**12
    assert t.total_macs > 10**17


def test_cache_and_json() -> None:
    a = architecture_table("resnet18", "3x200x200")
    assert architecture_table("resnet18", (1, 3, 200, 200)) is a
    js = a.to_json()
    assert js["total_params"] == 11_689_512 and len(js["rows"]) == len(a.rows)
    assert js["rows"][0]["input_shape"] == [1, 3, 200, 200] and js["receptive_field"] == "all"


def test_concurrent_traces_do_not_interfere() -> None:
    results: dict[int, int] = {}

    def run(i: int) -> None:
        results[i] = architecture_table("resnet34", (1, 3, 160 + 32 * i, 160)).total_macs

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for i, macs in results.items():
        model = zoo.meta_model("resnet34")
        with FlopCounterMode(display=False) as fc, torch.no_grad():
            model(torch.empty(1, 3, 160 + 32 * i, 160, device="meta"))
        assert 2 * macs == fc.get_total_flops()
