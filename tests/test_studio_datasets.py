"""Studio datasets: shapes, splits, normalisation and a clear message without data."""

from __future__ import annotations

import pytest
import torch

from playground import config, limits
from playground.studio import datasets


def test_mnist_splits() -> None:
    d = datasets.load(datasets.MNIST)
    assert d.x_train.shape == (55_000, 1, 28, 28) and d.x_train.dtype == torch.uint8
    assert len(d.x_held) == 5_000 and len(d.x_test) == 10_000 and d.shape.num_classes == 10
    assert d.y_train.dtype == torch.int64 and set(d.y_test.tolist()) == set(range(10))
    x = d.normalize(d.x_train[:512])
    assert abs(float(x.mean())) < 0.15 and abs(float(x.std()) - 1) < 0.15


def test_cifar_subset_and_two_classes() -> None:
    d = datasets.load(datasets.CIFAR)
    assert d.x_train.shape == (limits.CIFAR_SUBSET_TRAIN, 3, 32, 32)
    assert len(d.x_held) == 1000 and len(d.x_test) == limits.CIFAR_SUBSET_TEST and d.flip
    two = datasets.cifar_two_classes("cat", "dog")
    assert set(two.y_train.tolist()) == {0, 1} and two.classes == ("cat", "dog")
    with pytest.raises(ValueError, match="two different"):
        datasets.cifar_two_classes("cat", "cat")


def test_mnist_as_rgb32() -> None:
    d = datasets.mnist_rgb32()
    assert d.x_train.shape[1:] == (3, 32, 32)
    assert torch.equal(d.x_train[:, 0], d.x_train[:, 2])
    assert int(d.x_train[:, :, :2].max()) == 0  # zero padding


def test_no_data_dir_message(monkeypatch) -> None:
    monkeypatch.setattr(config, "data_dir", lambda explicit=None: None)
    datasets.load_mnist.cache_clear()
    with pytest.raises(ValueError, match="no data directory"):
        datasets.load(datasets.MNIST, data_dir="/nonexistent")
    datasets.load_mnist.cache_clear()


def test_unknown_dataset() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        datasets.load("ImageNet")
