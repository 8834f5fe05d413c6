"""LGG split by patient, EM split, augmentations keep image and mask aligned, metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.seg import augment, data, metrics
from playground.seg.paired import paired


def test_patient_of() -> None:
    assert data.patient_of("TCGA_CS_4941_19960909_12.png") == ("TCGA_CS_4941_19960909", 12)
    with pytest.raises(ValueError, match="PATIENT"):
        data.patient_of("nonsense.png")


def test_lgg_split_is_by_patient() -> None:
    d = data.load_lgg()
    sp = data.lgg_split(list(d.patients))
    tr, va, te = set(sp.train), set(sp.val), set(sp.test)
    assert not (tr & va) and not (tr & te) and not (va & te)
    assert tr | va | te == set(d.patients.tolist())
    assert (len(va), len(te)) == (data.LGG_N_VAL, data.LGG_N_TEST)
    test_idx = d.subset(sp.test)
    # every slice of every test patient is in the test subset, and nothing else is
    assert set(d.patients[test_idx].tolist()) == te
    assert len(test_idx) == int(np.isin(d.patients, list(te)).sum())
    assert data.lgg_split(list(d.patients)) == sp  # deterministic


def test_em_split_holds_out_images() -> None:
    sp = data.load_em().split()
    assert set(sp["test"]).isdisjoint(sp["train"]) and set(sp["val"]).isdisjoint(sp["train"])
    assert len(sp["train"]) + len(sp["val"]) + len(sp["test"]) == 30


def test_mask_path_for(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "a.png").write_bytes(b"x")
    assert data.mask_path_for(tmp_path / "images" / "a.png") == tmp_path / "masks" / "a.png"
    assert data.mask_path_for(tmp_path / "a.png") is None


@pytest.mark.parametrize("op", ["flips", "rot90", "affine", "elastic"])
def test_augment_moves_image_and_mask_together(op: str) -> None:
    g = torch.Generator().manual_seed(3)
    base = (torch.rand(4, 1, 32, 32) > 0.5).float()
    x, y = getattr(augment, op)(base.clone(), base.clone(), g)
    assert x.shape == y.shape == base.shape
    assert set(torch.unique(y).tolist()) <= {0.0, 1.0}  # masks stay labels (nearest)
    if op in ("flips", "rot90"):
        assert torch.equal(x, y)
    else:  # bilinear image vs nearest mask: agree wherever the image is not a blend
        sure = (x < 0.01) | (x > 0.99)
        assert torch.equal(x[sure].round(), y[sure])


def test_elastic_is_the_paper_recipe() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.linspace(0, 1, 64).repeat(64, 1)[None, None]
    xo, _ = augment.elastic(x, x.clone(), g, sigma_px=10.0)
    assert not torch.allclose(xo, x) and xo.shape == x.shape
    xo0, _ = augment.elastic(x, x.clone(), g, sigma_px=0.0)
    assert torch.allclose(xo0, x, atol=1e-5)  # zero displacement = identity


def test_channel_gain_scales_each_channel_within_its_range() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.full((400, 3, 4, 4), 0.5)
    out = augment.channel_gain(x, g, low=0.25, high=1.5, p=0.5)
    gain = out[:, :, 0, 0] / 0.5
    assert torch.equal(out, out[:, :, :1, :1].expand_as(out))  # one gain per sample and channel
    assert gain.min() >= 0.25 - 1e-6 and gain.max() <= 1.5 + 1e-6
    untouched = (gain == 1).all(1)
    assert 0.35 < untouched.float().mean() < 0.65  # about half the samples keep their gains
    changed = gain[~untouched]
    assert (changed[:, 0] != changed[:, 1]).float().mean() > 0.99  # channels get their own gain
    assert changed.min() < 0.3 and changed.max() > 1.4  # the whole range is used
    assert augment.channel_gain(torch.ones(8, 3, 2, 2), g, high=1.5, p=1.0).max() <= 1.0  # clipped
    with pytest.raises(ValueError, match="low <= 1 <= high"):
        augment.channel_gain(x, g, low=1.2)


def test_modality_dropout_copies_flair_as_the_lgg_data_does() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2000, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    out = augment.modality_dropout(x, g, p_all=0.2, p_post=0.1)
    assert torch.equal(out[:, 1], x[:, 1])  # FLAIR itself is never touched
    flair_only = (out == out[:, 1:2]).flatten(1).all(1)
    post_only = (out[:, 2] == out[:, 1]).flatten(1).all(1) & ~flair_only
    untouched = (out == x).flatten(1).all(1)
    assert 0.17 < flair_only.float().mean() < 0.23  # p_all of the samples
    assert 0.06 < post_only.float().mean() < 0.10  # p_post of the rest
    assert torch.equal(out[post_only, 0], x[post_only, 0])  # pre-contrast kept there
    assert bool((flair_only | post_only | untouched).all())  # nothing else happens
    assert torch.equal(augment.modality_dropout(x, g, p_all=0.0, p_post=0.0), x)
    with pytest.raises(ValueError, match="probabilities"):
        augment.modality_dropout(x, g, p_all=1.5)
    with pytest.raises(ValueError, match="channels"):
        augment.modality_dropout(x[:, :1], g)


def test_dice_iou_and_reports() -> None:
    a = np.zeros((4, 4), bool)
    a[:2] = True
    b = np.zeros((4, 4), bool)
    b[1:3] = True
    assert metrics.dice(a, b) == pytest.approx(0.5) and metrics.iou(a, b) == pytest.approx(1 / 3)
    assert metrics.dice(np.zeros(3, bool), np.zeros(3, bool)) == 1.0
    prob = np.stack([a, b, np.zeros_like(a)]).astype(np.float32)
    gt = np.stack([a, a, np.zeros_like(a)])
    rep = metrics.lgg_report(prob, gt, np.array(["p1", "p1", "p2"]))
    assert rep["slice_dice_tumour"] == pytest.approx(0.75)
    assert rep["fp_rate_empty"] == 0.0
    assert rep["patient_dice"]["p1"] == pytest.approx(2 * 6 / 16) and rep["patient_dice"]["p2"] == 1.0
    r = metrics.miou_report(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    assert r["miou"] == pytest.approx((1 + 0.5 + 0.5) / 3)


def test_lgg_cross_validation_folds_cover_the_non_test_patients_once() -> None:
    ids = [f"P{i:02d}" for i in range(56)]
    base = data.lgg_split(ids)
    folds = [data.lgg_cv_split(ids, k, 5) for k in range(5)]
    vals = [set(f.val) for f in folds]
    assert all(f.test == base.test for f in folds)
    assert set().union(*vals) == set(base.train) | set(base.val)
    assert sum(len(v) for v in vals) == len(ids) - len(base.test)  # disjoint
    for f in folds:
        assert not set(f.train) & set(f.val) and not set(f.train) & set(f.test)
        assert set(f.train) | set(f.val) | set(f.test) == set(ids)
        assert 9 <= len(f.val) <= 10
    assert data.lgg_cv_split(ids, 2, 5) == folds[2]  # deterministic
    for fold, n in ((5, 5), (-1, 5), (0, 1), (1.0, 5)):
        with pytest.raises(ValueError, match="fold"):
            data.lgg_cv_split(ids, fold, n)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-test patients"):
        data.lgg_cv_split(ids[:18], 0, 5)


def test_crossval_report_scores_each_fold_on_unseen_patients(tiny_fold_models) -> None:  # noqa: ANN001
    from playground.seg import crossval

    r = crossval.report(tiny_fold_models, folds=2, prefix="cv")
    d = data.load_lgg()
    n_non_test = len(set(d.patients.tolist())) - data.LGG_N_TEST
    assert r["cv_n_patients"] == n_non_test
    assert [f["fold"] for f in r["folds"]] == [0, 1]
    assert 0.0 <= r["cv_patient_dice"] <= 1.0 and 0.0 <= r["test_ensemble"]["patient_dice_3d"] <= 1.0
    assert len(r["test_ensemble_patient_dice"]) == data.LGG_N_TEST
    each = r["cv_patient_dice_each"]
    assert len(each) == n_non_test and r["cv_patient_dice"] == pytest.approx(np.mean(list(each.values())))
    same = paired(each, each)
    assert same["mean_diff"] == 0.0 and same["ties"] == n_non_test and same["ci95"] == (0.0, 0.0)
    assert all(0.0 <= f["val_fp_rate_empty"] <= 1.0 for f in r["folds"])
    one = crossval.report(tiny_fold_models, folds=2, prefix="cv", only=(1,), d=d)  # a pilot on fold 1, data passed in
    assert [f["fold"] for f in one["folds"]] == [1] and one["folds"][0] == r["folds"][1]
    assert one["cv_patient_dice_each"] == {p: v for p, v in each.items()
                                           if p in data.lgg_cv_split(list(d.patients), 1, 2).val}
    with pytest.raises(ValueError, match="0..1"):
        crossval.report(tiny_fold_models, folds=2, prefix="cv", only=(2,))


def test_crossval_against_loads_the_data_once_and_pairs_the_two_runs(tiny_fold_models, monkeypatch, capsys) -> None:  # noqa: ANN001
    from playground.seg import crossval

    calls = []
    load = data.load_lgg
    monkeypatch.setattr(crossval.data, "load_lgg", lambda root=None: calls.append(root) or load(root))
    crossval.main(["--dir", str(tiny_fold_models), "--folds", "2", "--prefix", "cv", "--only", "1",
                   "--against", f"{tiny_fold_models}/cv"])
    out = capsys.readouterr().out
    assert len(calls) == 1  # one load serves both reports
    assert "difference +0.000" in out  # the same models against themselves
    r = json.loads(out[out.index("{"):out.rindex("}") + 1])
    assert r["paired_against"]["ties"] == r["paired_against"]["n"] == r["cv_n_patients"]


def test_crossval_against_several_runs_pairs_with_their_per_patient_mean(tiny_fold_models, monkeypatch,  # noqa: ANN001
                                                                         capsys) -> None:  # noqa: ANN001
    from playground.seg import crossval
    from playground.seg.paired import mean_map, paired

    # The tiny random models all score alike, so a second "run" is made distinct: its report is
    # the real one with every per-patient Dice halved.
    real = crossval.report

    def report(folder, folds, prefix, **kw):  # noqa: ANN001, ANN202
        r = real(folder, folds, prefix.removeprefix("half_"), **kw)
        if prefix.startswith("half_"):
            r["cv_patient_dice_each"] = {p: v / 2 for p, v in r["cv_patient_dice_each"].items()}
        return r

    monkeypatch.setattr(crossval, "report", report)
    crossval.main(["--dir", str(tiny_fold_models), "--folds", "2", "--prefix", "cv", "--only", "0",
                   "--against", f"{tiny_fold_models}/cv", f"{tiny_fold_models}/half_cv"])
    out = capsys.readouterr().out
    r = json.loads(out[out.index("{"):out.rindex("}") + 1])
    each, got = r["cv_patient_dice_each"], r["paired_against"]
    assert got["models"] == [f"{tiny_fold_models}/cv", f"{tiny_fold_models}/half_cv"]
    want = paired(each, mean_map([each, {p: v / 2 for p, v in each.items()}]))
    assert got["mean_b"] == pytest.approx(0.75 * got["mean_a"]) and got["mean_b"] == pytest.approx(want["mean_b"])
    assert got["mean_diff"] == pytest.approx(0.25 * got["mean_a"]) and got["mean_a"] > 0
    assert "the per-patient mean of" in out



def test_flair_only_probabilities_copy_flair_into_every_channel() -> None:
    from playground.seg.tasks import lgg_probabilities
    from playground.seg.unet import UNet, UNetConfig

    torch.manual_seed(0)
    net = UNet(UNetConfig(base=2, depth=1)).eval()
    d = data.load_lgg()
    pid = (sorted(set(d.patients.tolist()))[0],)
    x = d.images[d.subset(pid)].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    grey = np.repeat(x[:, 1:2], 3, axis=1)
    want = metrics.binary_prob(metrics.predict_logits(net, grey, batch=32))
    got = lgg_probabilities(net, d, pid, flair_only=True)
    assert np.allclose(got, want, atol=1e-6)
    assert not np.allclose(lgg_probabilities(net, d, pid), got, atol=1e-4)  # the colour input differs


def test_crossval_refuses_sweep_with_only() -> None:
    from playground.seg import crossval

    with pytest.raises(SystemExit, match="does not combine"):
        crossval.main(["--sweep", "--only", "0"])
