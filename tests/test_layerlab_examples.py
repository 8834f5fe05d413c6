"""The course's worked examples, computed with real torch layers, give the course's numbers."""

from __future__ import annotations

import pytest

from playground import arith
from playground.layerlab.examples import EXAMPLES, run_example


def test_alexnet_conv1_and_pool() -> None:
    v = run_example("alexnet").values
    assert v["conv_out"] == (1, 96, 55, 55)
    assert v["params"] == (11 * 11 * 3 + 1) * 96 == 34_944
    assert v["pool_out"] == (1, 96, 27, 27)


def test_conv_transpose_64_to_127() -> None:
    assert run_example("transposed").values["out"] == (1, 16, 127, 127)


def test_max_unpool_on_1_to_16() -> None:
    v = run_example("unpool").values
    assert v["unpooled"] == [[0, 0, 0, 0], [0, 6, 0, 8], [0, 0, 0, 0], [0, 14, 0, 16]]
    assert v["pooled"] == [[6, 8], [14, 16]]


def test_avg_and_adaptive_avg_on_4x5() -> None:
    v = run_example("avgpool").values
    assert v["avg"] == [[4, 6], [14, 16]]
    assert v["adaptive"] == [[4.5, 6.5], [14.5, 16.5]]


def test_mnist_conv_products() -> None:
    v = run_example("mnist").values
    assert v["out"] == (1, 32, 24, 24)
    assert v["params"] == 832
    assert v["macs"] == 460_800 == 24 * 24 * 32 * 25


@pytest.mark.parametrize("key", list(EXAMPLES))
def test_every_example_code_is_accepted_by_analyze(key: str) -> None:
    ex = run_example(key)
    rep = arith.analyze(ex.code, ex.input_shape)
    assert rep.layers and ex.markdown.startswith("**")
    with pytest.raises(ValueError, match="unknown example"):
        run_example("nope")
