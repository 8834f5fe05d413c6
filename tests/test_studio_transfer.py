"""Transfer learning: frozen backbone + new head vs from scratch (a tiny ResNet, random init)."""

from __future__ import annotations

import pytest
import torch

from playground.studio import datasets, transfer
from playground.studio.presets import DataShape

CFG = {"arch": "resnet", "cfg": "resnet_tiny", "num_classes": 10}


def test_frozen_backbone_trains_only_the_head() -> None:
    from playground.cifar import models as cm

    net = cm.build(CFG)
    frozen_before = {k: v.clone() for k, v in net.state_dict().items() if not k.startswith("fc")}
    m = transfer.FrozenBackbone(net, 3)
    trainable, frozen = transfer.param_counts(m)
    assert trainable == 16 * 3 + 3 and frozen == sum(p.numel() for p in m.parameters()) - trainable
    assert all(not p.requires_grad for n, p in m.named_parameters() if not n.startswith("net.fc."))
    m.train()
    assert not m.net.layers.training and m.net.fc.training  # BatchNorm statistics stay frozen
    opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], 1e-2)
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(m(torch.randn(8, 3, 32, 32)), torch.zeros(8).long())
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = m.net.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in frozen_before.items())  # incl. BN buffers


def test_compare_same_training_time() -> None:
    from playground.cifar import models as cm

    data = datasets.synthetic(96, DataShape(3, 32, 32, 2))
    seen = set()
    for runs, name, _ in transfer.compare(data, cm.build(CFG), CFG, 0.4, batch_size=8):
        seen.add(name)
    assert seen == {transfer.FROZEN, transfer.SCRATCH}
    rows = {r.run: r for r in transfer.table(runs, with_test=True)}
    f, s = rows[transfer.FROZEN], rows[transfer.SCRATCH]
    assert f.frozen > 0 and s.frozen == 0 and f.trainable < s.trainable
    for r in runs.values():
        assert 0.4 <= r.train_seconds < 0.4 + 1.0  # the same time budget (one step of slack)
    assert f.test_acc is not None and 0 <= f.test_acc <= 1


def test_bad_seconds_and_task() -> None:
    from playground.cifar import models as cm

    data = datasets.synthetic(32, DataShape(3, 32, 32, 2))
    with pytest.raises(ValueError, match="seconds per model"):
        next(transfer.compare(data, cm.build(CFG), CFG, 0))
    with pytest.raises(ValueError, match="unknown task"):
        transfer.task_data("ImageNet")


def test_backbone_loads_when_weights_exist() -> None:
    model, cfg, note = transfer.load_backbone(pretrained=True)
    assert cfg["arch"] == "resnet" and "backbone" in note
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)
