"""Post-processing of tumour probability maps and the nested cross-validation sweep."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.seg import nested, postprocess
from playground.seg.paired import paired


def test_remove_small_drops_only_components_below_the_area() -> None:
    m = np.zeros((12, 12), bool)
    m[0, 0] = True  # 1 pixel
    m[2, 2], m[3, 3] = True, True  # 2 pixels joined diagonally (8-connectivity)
    m[6:9, 6:9] = True  # 9 pixels
    assert postprocess.remove_small(m, 0).sum() == 12
    assert postprocess.remove_small(m, 2).sum() == 11  # the diagonal pair survives as one component
    assert postprocess.remove_small(m, 3).sum() == 9
    assert not postprocess.remove_small(m, 10).any()
    assert postprocess.remove_small(m, 3)[6:9, 6:9].all()
    with pytest.raises(ValueError, match="min_area"):
        postprocess.remove_small(m, -1)


def test_binarize_stack_equals_slice_by_slice() -> None:
    rng = np.random.default_rng(0)
    prob = rng.random((4, 16, 16)) ** 3
    out = postprocess.binarize(prob, 0.5, 3)
    for p, o in zip(prob, out):
        assert (o == postprocess.remove_small(p >= 0.5, 3)).all()
    assert (postprocess.binarize(prob, 0.4) == (prob >= 0.4)).all()
    with pytest.raises(ValueError, match="threshold"):
        postprocess.binarize(prob, 1.0)


def test_flip_tta_is_mirror_equivariant_for_any_model() -> None:
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 1, (3, 5), padding=(1, 2))  # a kernel that is not mirror-symmetric
    x = torch.rand(2, 3, 8, 10)
    a = postprocess.flip_tta_prob(model, x)
    b = postprocess.flip_tta_prob(model, x.flip(-1))
    plain = torch.sigmoid(model(x))[:, 0].detach().numpy()
    assert np.allclose(a[..., ::-1], b, atol=1e-6)
    assert not np.allclose(a, plain, atol=1e-3)  # the mirror pass changes the map


def test_sweep_nested_choice_never_sees_the_scored_fold(tiny_fold_models) -> None:  # noqa: ANN001
    from playground.seg import data

    grid = {"tta": (False, True), "threshold": (0.5, 0.7), "min_area": (0,), "lcc": (False, True)}
    r = nested.sweep(tiny_fold_models, folds=2, prefix="cv", grid=grid)
    d = data.load_lgg()
    assert len(r["candidates"]) == 8
    assert len(r["patient_dice"]) == len(set(d.patients.tolist())) - data.LGG_N_TEST
    assert r["nested_cv_patient_dice"] == pytest.approx(np.mean(list(r["patient_dice"].values())))
    assert len({c["cv_patient_dice"] for c in r["candidates"]}) > 1  # the candidates differ
    for choice in r["nested_choices"]:
        k = choice["fold"]

        def on(c: dict, folds: set[int]) -> list[float]:
            return [v for p, v in c["patient_dice"].items() if r["fold_of"][p] in folds]

        others = {f for f in range(2) if f != k}
        best = max(r["candidates"], key=lambda c: np.mean(on(c, others)))
        assert [choice[key] for key in grid] == [best[key] for key in grid]
        assert on(best, {k}) == [v for p, v in r["patient_dice"].items() if r["fold_of"][p] == k]


def test_sweep_also_scores_the_per_fold_ensemble(tiny_fold_models) -> None:  # noqa: ANN001
    from playground.seg import crossval, data, metrics
    from playground.seg.inference import load_unet
    from playground.seg.tasks import lgg_probabilities
    from tests.conftest import save_tiny_models

    save_tiny_models(tiny_fold_models, "alt", (10, 11))  # a second member per fold, other weights
    grid = {"tta": (False,), "threshold": (0.5,), "min_area": (0,), "lcc": (False,)}
    alone = nested.sweep(tiny_fold_models, folds=2, prefix="cv", grid=grid)
    both = nested.sweep(tiny_fold_models, folds=2, prefix="cv", grid=grid, also=((tiny_fold_models, "alt"),))
    d = data.load_lgg()
    pids = list(d.patients)
    val = data.lgg_cv_split(pids, 1, 2).val
    idx = d.subset(val)
    prob = np.mean([lgg_probabilities(load_unet(f"{pre}1", tiny_fold_models)[0], d, val) for pre in ("cv", "alt")], axis=0)
    pid = val[0]
    at = d.patients[idx] == pid
    assert both["patient_dice"][pid] == pytest.approx(metrics.dice(prob[at] >= 0.5, d.masks[idx][at]))
    assert both["patient_dice"] != alone["patient_dice"]
    with pytest.raises(SystemExit, match="needs --sweep"):
        crossval.main(["--dir", str(tiny_fold_models), "--also", f"{tiny_fold_models}/alt"])


def test_sweep_cache_gives_the_same_scores_and_is_reused(tiny_fold_models, tmp_path) -> None:  # noqa: ANN001
    from playground.seg import crossval, data, postprocess
    from playground.seg.inference import load_unet
    from playground.seg.tasks import lgg_input_for

    grid = {"tta": (False, True), "threshold": (0.4, 0.5), "min_area": (0,), "lcc": (False, True)}
    plain = nested.sweep(tiny_fold_models, folds=2, prefix="cv", grid=grid)
    cache = tmp_path / "cache"
    first = nested.sweep(tiny_fold_models, folds=2, prefix="cv", grid=grid, cache=cache)
    files = sorted(cache.iterdir())
    assert len(files) == 4  # two folds, a plain and a mirrored pass each
    stamps = [f.stat().st_mtime_ns for f in files]
    again = nested.sweep(tiny_fold_models, folds=2, prefix="cv", grid=grid, cache=cache)
    assert [f.stat().st_mtime_ns for f in sorted(cache.iterdir())] == stamps  # read, not rewritten
    for r in (first, again):
        assert [c["patient_dice"] for c in r["candidates"]] == [c["patient_dice"] for c in plain["candidates"]]
    d = data.load_lgg()
    val = data.lgg_cv_split(list(d.patients), 0, 2).val
    p, q = nested.member_probabilities(tiny_fold_models, "cv0", d, val, cache=cache)
    model = load_unet("cv0", tiny_fold_models)[0]
    np.testing.assert_allclose((p + q) / 2, postprocess.flip_tta_prob(model, lgg_input_for(model, d, val), 32),
                               atol=1e-6)
    grey = nested.member_probabilities(tiny_fold_models, "cv0", d, val, flair_only=True, cache=cache)
    assert len(list(cache.iterdir())) == 6 and not np.array_equal(grey[0], p)  # another key per input mode
    with pytest.raises(SystemExit, match="--cache needs --sweep"):
        crossval.main(["--dir", str(tiny_fold_models), "--cache", str(cache)])
    with pytest.raises(SystemExit, match=r"--thresholds must each lie in \(0, 1\)"):
        crossval.main(["--dir", str(tiny_fold_models), "--sweep", "--thresholds", "0.5", "1.5"])


def test_sweep_against_pairs_the_nested_scores(tiny_fold_models, tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    """``--against`` with two sets: each is swept alone, and the ensemble is paired with the
    per-patient mean of their nested scores."""
    from playground.seg import crossval
    from playground.seg.paired import mean_map
    from tests.conftest import save_tiny_models

    save_tiny_models(tiny_fold_models, "alt", (10, 11))
    d, cache = str(tiny_fold_models), str(tmp_path / "cache")
    runs: list[tuple[dict, dict]] = []  # (the CLI's sweep arguments, its result), not swept again here
    real = nested.sweep

    def spy(*a: object, **kw: object) -> dict:
        runs.append(((a, kw), real(*a, **kw)))
        return runs[-1][1]

    monkeypatch.setattr(crossval, "sweep", spy)
    crossval.main(["--dir", d, "--prefix", "cv", "--folds", "2", "--threads", "1", "--sweep", "--thresholds", "0.5",
                   "--cache", cache, "--also", f"{d}/alt", "--against", f"{d}/cv", f"{d}/alt"])
    out = capsys.readouterr().out
    ((_, kw_both), both), ((a_cv, kw_cv), cv), ((a_alt, kw_alt), alt) = runs
    assert kw_both["also"] == ((tiny_fold_models, "alt"),) and kw_cv.get("also", ()) == kw_alt.get("also", ()) == ()
    assert a_cv[2] == "cv" and a_alt[2] == "alt"  # each reference set is swept alone
    assert kw_both["grid"]["threshold"] == kw_cv["grid"]["threshold"] == kw_alt["grid"]["threshold"] == (0.5,)
    c = paired(both["patient_dice"], mean_map([cv["patient_dice"], alt["patient_dice"]]))
    assert f"nested (choice made on the other folds): {both['nested_cv_patient_dice']:.3f}" in out
    assert (f"paired against the per-patient mean of {d}/cv, {d}/alt (nested the same way) over {c['n']} patients: "
            f"{c['mean_a']:.3f} vs {c['mean_b']:.3f}, difference {c['mean_diff']:+.3f}") in out
    assert c["n"] == len(both["fold_of"]) and c["mean_a"] != c["mean_b"]


def test_refresh_bn_sets_the_plain_mean_of_the_batches() -> None:
    from playground.seg.train import refresh_bn

    bn = torch.nn.BatchNorm2d(2).eval()
    batches = [torch.full((4, 2, 3, 3), float(v)) + torch.tensor([0.0, 10.0]).view(1, 2, 1, 1) for v in (1, 2, 6)]
    it = iter(batches)
    refresh_bn(bn, lambda g, n: (next(it), None), torch.Generator(), 4, batches=3)
    assert torch.allclose(bn.running_mean, torch.tensor([3.0, 13.0]))  # (1 + 2 + 6) / 3, not a momentum blend
    assert not bn.training  # the mode is restored


def test_seg_train_ema_saves_the_average_and_the_raw_weights(tmp_path, small_lgg_root) -> None:  # noqa: ANN001
    from playground import weights
    from playground.seg import train

    train.main(["--task", "lgg", "--steps", "4", "--batch", "2", "--base", "2", "--depth", "1", "--eval-every", "2",
                "--ema", "0.5", "--raw-name", "raw", "--name", "avg", "--assets-dir", str(tmp_path), "--fold", "0",
                "--dice-per-image", "--folds", "2", "--data-dir", str(small_lgg_root)])
    avg, raw = weights.load_meta("avg", tmp_path), weights.load_meta("raw", tmp_path)
    assert avg["averaged"] is True and raw["averaged"] is False
    assert avg["recipe"]["weight_ema"] == 0.5 and "bn_refresh" in avg["recipe"]
    assert avg["recipe"]["loss"] == "BCE + soft Dice per tumour slice"
    sa, sr = weights.load_state_dict("avg", tmp_path), weights.load_state_dict("raw", tmp_path)
    assert sa.keys() == sr.keys()
    conv = next(k for k in sa if k.endswith("weight") and sa[k].ndim == 4)
    assert not torch.equal(sa[conv], sr[conv])  # the average is not the last weights
    var = next(k for k in sa if k.endswith("running_var"))
    assert not torch.allclose(sa[var], torch.ones_like(sa[var]))  # statistics recomputed, not the initial ones
    assert avg["steps_done"] == 4 and "test" in avg["metrics"]
    for meta in (avg, raw):  # the LGG task's extra held-out reports are recorded too
        assert {"test_flair_only", "test_lcc"} <= meta["metrics"].keys()
        assert meta["metrics"]["test_lcc"]["fp_rate_empty"] <= meta["metrics"]["test"]["fp_rate_empty"]
    # the last validation (step 4) and the final report score the same statistics: refreshed once
    assert avg["curves"]["val"][-1] == avg["metrics"]["val"]
    with pytest.raises(SystemExit, match="needs --ema"):
        train.main(["--task", "lgg", "--raw-name", "x", "--assets-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="must be in"):
        train.main(["--task", "lgg", "--ema", "1.5", "--assets-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="lgg only"):
        train.main(["--task", "em", "--dice-per-image", "--assets-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="needs --dice-per-image"):
        train.main(["--task", "lgg", "--dice-empty", "--assets-dir", str(tmp_path)])


def test_volume_mask_is_binarize_then_the_largest_3d_component() -> None:
    rng = np.random.default_rng(3)
    prob = rng.random((6, 12, 12)).astype(np.float32)
    patients = np.array(["a", "b", "a", "b", "a", "b"])
    slices = np.array([3, 1, 1, 2, 2, 3])
    for t, area in ((0.5, 0), (0.7, 4)):
        plain = postprocess.binarize(prob, t, area)
        assert np.array_equal(postprocess.volume_mask(prob, patients, slices, t, area), plain)
        cut = postprocess.volume_mask(prob, patients, slices, t, area, lcc=True)
        assert np.array_equal(cut, postprocess.volume_largest_component(plain, patients, slices))
        assert cut.sum() < plain.sum()  # random noise has many components: the step removes some
    with pytest.raises(ValueError, match="threshold"):
        postprocess.volume_mask(prob, patients, slices, 1.0)
