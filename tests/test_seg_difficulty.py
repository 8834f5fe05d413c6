"""The LGG difficulty table: scan figures on a made-up volume, the correlation and its interval."""

from __future__ import annotations

import json

import numpy as np
import pytest

from playground.seg import data, difficulty


def _volume(pids_values: dict[str, tuple[int, int, int]]) -> data.LGGData:
    """Two 8x8 slices per patient: background 0, brain FLAIR ``brain``, a ``side``² tumour at ``lesion``."""
    imgs, masks, pats, sl = [], [], [], []
    for pid, (brain, lesion, side) in pids_values.items():
        for s in range(2):
            im = np.zeros((8, 8, 3), np.uint8)
            im[1:7, 1:7, 1] = brain  # a 6x6 brain inside a zero background
            m = np.zeros((8, 8), bool)
            m[2:2 + side, 2:2 + side] = True
            im[m, 1] = lesion
            im[..., 0] = 200  # other channels must not count
            imgs.append(im), masks.append(m), pats.append(pid), sl.append(s)
    return data.LGGData(np.stack(imgs), np.stack(masks), np.array(pats), np.array(sl), [], "x")


def test_scan_stats_read_flair_only_inside_the_brain() -> None:
    d = _volume({"a": (50, 100, 2), "b": (40, 60, 3)})
    a = difficulty.scan_stats(d, "a")
    assert a.contrast == 2.0 and a.voxels == 2 * 4
    assert a.brightness == pytest.approx(np.percentile([50] * 2 * 32 + [100] * 2 * 4, 99))
    assert difficulty.scan_stats(d, "b").contrast == 1.5
    with pytest.raises(ValueError, match="no slices"):
        difficulty.scan_stats(d, "zz")
    with pytest.raises(ValueError, match="tumour"):
        difficulty.scan_stats(_volume({"c": (50, 100, 0)}), "c")


def test_pearson_and_its_fisher_interval() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    written = np.sum((x - x.mean()) * (y - y.mean())) / np.sqrt(np.sum((x - x.mean()) ** 2) * np.sum((y - y.mean()) ** 2))
    assert difficulty.pearson(x, y) == pytest.approx(written)
    assert difficulty.pearson(x, 3 * x + 1) == pytest.approx(1.0)
    lo, hi = difficulty.fisher_interval(0.0, 28)
    assert (lo, hi) == pytest.approx((-np.tanh(1.959964 / 5), np.tanh(1.959964 / 5)))
    lo, hi = difficulty.fisher_interval(0.4, 46)
    assert lo < 0.4 < hi and hi - lo > difficulty.fisher_interval(0.4, 460)[1] - difficulty.fisher_interval(0.4, 460)[0]
    for bad in ((x[:1], y[:1]), (x, y[:5]), (np.ones(5), y[:5])):
        with pytest.raises(ValueError, match="pearson"):
            difficulty.pearson(*bad)
    with pytest.raises(ValueError, match="n >= 4"):
        difficulty.fisher_interval(0.5, 3)


def test_main_reads_a_saved_crossval_output(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    d = _volume({"a": (50, 100, 2), "b": (40, 60, 3), "c": (50, 55, 2), "e": (30, 90, 1)})
    dice = {"a": 0.8, "b": 0.6, "c": 0.2, "e": 0.9}  # follows the contrast 2.0, 1.5, 1.1, 3.0
    saved = tmp_path / "report.txt"
    saved.write_text("fold table ...\n" + json.dumps({"cv_patient_dice_each": dice}, indent=1) + "\nevaluated in 1 s\n")
    monkeypatch.setattr(difficulty.data, "load_lgg", lambda root=None: d)
    difficulty.main(["--report", str(saved)])
    out = capsys.readouterr().out
    lines = [ln.split()[0] for ln in out.splitlines()[1:5]]
    assert lines == ["c", "b", "a", "e"]  # sorted by Dice
    rows, corr = difficulty.table(dice, d)
    assert corr["contrast"] == pytest.approx(difficulty.pearson([0.2, 0.6, 0.8, 0.9], [55 / 50, 1.5, 2.0, 3.0]))
    assert f"{corr['contrast']:+.2f}" in out
    (tmp_path / "plain.txt").write_text("no json here")
    with pytest.raises(ValueError, match="no JSON"):
        difficulty.read_report(tmp_path / "plain.txt")
    (tmp_path / "old.txt").write_text('{"folds": []}')
    with pytest.raises(ValueError, match="cv_patient_dice_each"):
        difficulty.read_report(tmp_path / "old.txt")
