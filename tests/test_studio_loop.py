"""The training loop on a tiny synthetic set: learning, stop, caps, divergence, checkpoints, export."""

from __future__ import annotations

import importlib.util
import math
import threading
import time

import pytest
import torch
from torch import nn

from playground import limits
from playground.studio import datasets, loop, results
from playground.studio.loop import Optim, TrainRun, TrainSettings, train
from playground.studio.presets import DataShape

SHAPE = DataShape(1, 8, 8, 4)


@pytest.fixture(scope="module")
def data() -> datasets.DataSplit:
    return datasets.synthetic(256, SHAPE, seed=0)


def tiny(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 4))


def run_all(run: TrainRun, stop=lambda: False) -> list[loop.Progress]:
    return list(train(run, stop))


@pytest.mark.parametrize("opt,lr", [(Optim.ADAM, 1e-2), (Optim.MOMENTUM, 0.05), (Optim.SGD, 0.2)])
def test_loss_decreases(data, opt, lr) -> None:
    run = TrainRun(tiny(), data, TrainSettings(optimizer=opt, lr=lr, batch_size=32, steps=60,
                                               eval_every=10, augment=opt == Optim.ADAM))
    prog = run_all(run)
    assert prog[-1].status == "done" and run.step == 60
    assert [p.step for p in prog[:-1]] == list(range(1, 61))
    assert run.points[-1].loss < 0.5 * run.points[0].loss
    assert run.points[-1].heldout_acc > 0.6
    assert len(run.points) == 6 and all(p.heldout_acc is not None for p in run.points)


def test_stop_keeps_what_was_learned(data) -> None:
    run = TrainRun(tiny(), data, TrainSettings(lr=1e-2, batch_size=32, steps=500))
    prog = run_all(run, stop=lambda: run.step >= 7)
    assert prog[-1].status == "stopped" and run.step == 7 and run.status == "stopped"
    assert "stopped" in prog[-1].message
    assert run.checkpoints[-1][0] == 7  # the final weights are kept as the last checkpoint
    for k, v in run.model.state_dict().items():
        assert torch.equal(run.checkpoints[-1][1][k], v)


def test_stop_from_another_thread_within_a_second(data) -> None:
    run = TrainRun(tiny(), data, TrainSettings(lr=1e-2, batch_size=32, steps=limits.MAX_TRAIN_STEPS,
                                               max_seconds=60))
    flag = threading.Event()
    done: list[float] = []

    def worker() -> None:
        for _ in train(run, flag.is_set):
            pass
        done.append(time.monotonic())

    t = threading.Thread(target=worker)
    t.start()
    while run.step < 3:
        time.sleep(0.01)
    asked = time.monotonic()
    flag.set()
    t.join(5)
    assert done and done[0] - asked < 1.0 and run.status == "stopped"


def test_time_cap(data) -> None:
    run = TrainRun(tiny(), data, TrainSettings(lr=1e-2, batch_size=32, steps=3000, max_seconds=0.05))
    prog = run_all(run)
    assert prog[-1].status == "time" and 0 < run.step < 3000 and "time limit" in prog[-1].message


def test_steps_capped_and_epochs() -> None:
    s = TrainSettings(steps=10**6)
    assert s.total_steps(1000) == limits.MAX_TRAIN_STEPS
    assert TrainSettings(epochs=2, batch_size=100, steps=0).total_steps(1000) == 20
    assert TrainSettings(epochs=0.5, batch_size=64, steps=0).total_steps(1000) == 8


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf")])
def test_bad_learning_rate_refused(lr) -> None:
    with pytest.raises(ValueError, match="learning rate"):
        TrainSettings(lr=lr, steps=10)


@pytest.mark.parametrize("batch", [0, -1, 10**6, limits.MAX_BATCH_SIZE + 1])
def test_bad_batch_size_refused(batch) -> None:
    with pytest.raises(ValueError, match="batch size"):
        TrainSettings(batch_size=batch, steps=10)


def test_no_steps_refused() -> None:
    with pytest.raises(ValueError, match="steps or of epochs"):
        TrainSettings(steps=0, epochs=0)


@pytest.mark.parametrize("opt", list(Optim))
def test_divergence_detected(opt) -> None:
    noisy = datasets.synthetic(256, SHAPE, seed=1)
    g = torch.Generator().manual_seed(0)
    noisy.y_train[:64] = torch.randint(0, 4, (64,), generator=g)  # label noise: loss can't reach 0
    run = TrainRun(tiny(), noisy, TrainSettings(optimizer=opt, lr=1e6, batch_size=64, steps=200))
    prog = run_all(run)
    assert prog[-1].status == "diverged", prog[-1]
    assert "diverged" in prog[-1].message and "learning rate" in prog[-1].message
    assert run.step < 200


def test_augment_batch_is_a_shifted_window() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(16, 1, 8, 8, dtype=torch.uint8)
    x[:, :, 3:5, 3:5] = 200  # a centred blob stays inside any ±2 shift
    out = loop.augment_batch(x, pad=2, flip=True, g=g)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.equal(out.sum((1, 2, 3)), x.sum((1, 2, 3)))
    assert not all(torch.equal(out[i], x[i]) for i in range(16))  # some were shifted
    assert torch.equal(loop.augment_batch(x, pad=0, flip=False, g=g), x)


def test_checkpoint_round_trip_identical_outputs(data) -> None:
    run = TrainRun(tiny(), data, TrainSettings(lr=1e-2, batch_size=32, steps=30, checkpoints=4,
                                               eval_every=10))
    run_all(run)
    assert [s for s, _ in run.checkpoints] == [0, 10, 20, 30]
    x = data.normalize(data.x_test[:8])
    with torch.no_grad():
        ref = run.model.eval()(x)
        assert torch.equal(results.model_at(run, 3)(x), ref)
        first = results.model_at(run, 0)(x)
    assert not torch.equal(first, ref)
    fresh = tiny()  # the same seed: checkpoint 0 is the initialisation
    with torch.no_grad():
        assert torch.equal(fresh.eval()(x), first)
    with pytest.raises(ValueError, match="checkpoint index"):
        results.model_at(run, 4)


def test_checkpoints_stay_spread_and_capped(data) -> None:
    run = TrainRun(tiny(), data, TrainSettings(lr=1e-2, batch_size=32, steps=100, checkpoints=5,
                                               eval_every=5))
    run_all(run)
    steps = [s for s, _ in run.checkpoints]
    assert len(steps) <= 5 and steps[0] == 0 and steps[-1] == 100 and steps == sorted(steps)
    assert max(b - a for a, b in zip(steps, steps[1:])) <= 50


def test_export_reloads_with_weights_only(data, tmp_path) -> None:
    run = TrainRun(tiny(), data, TrainSettings(lr=1e-2, batch_size=32, steps=5))
    run_all(run)
    wpath, cpath = results.export(run, "tiny net", tmp_path, test_acc=0.5)
    sd = torch.load(wpath, weights_only=True)
    assert set(sd) == set(run.model.state_dict())
    spec = importlib.util.spec_from_file_location("exported_studio_model", cpath)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # our own generated code, not user text
    reloaded = mod.load()
    x = data.normalize(data.x_test[:4])
    with torch.no_grad():
        assert torch.equal(reloaded(x), run.model.eval()(x))
    assert mod.MEAN == data.mean and list(mod.CLASSES) == list(data.classes)


def test_export_of_a_named_preset(tmp_path) -> None:
    from playground.studio import presets

    d = datasets.synthetic(64, DataShape(1, 28, 28, 10))
    run = TrainRun(presets.build_preset("LeNet-5", d.shape), d, TrainSettings(lr=1e-3, steps=2))
    run_all(run)
    _, cpath = results.export(run, "LeNet-5", tmp_path)
    spec = importlib.util.spec_from_file_location("exported_lenet", cpath)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x = d.normalize(d.x_test[:4])
    with torch.no_grad():
        assert torch.equal(mod.load()(x), run.model.eval()(x))
    assert sum(p.numel() for p in mod.build_model().parameters()) == 61_706


def test_confusion_matrix_counts() -> None:
    cm = results.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert math.isclose(cm.trace() / cm.sum(), 4 / 6)
