"""``python -m playground.seg.evaluate``: the held-out LGG report under each post-processing."""

from __future__ import annotations

import re

import pytest

from playground.seg import data, evaluate
from playground.seg.inference import load_model
from playground.seg.tasks import lgg_scores


@pytest.fixture(scope="module")
def lgg() -> tuple:
    d = data.load_lgg()
    return load_model("lgg")[0], d, data.lgg_split(list(d.patients)).test[:4]


def test_the_plain_and_lcc_reports_equal_the_training_tasks(lgg: tuple) -> None:
    model, d, pids = lgg
    for lcc in (False, True):
        assert evaluate.lgg_test_report(model, d, pids, lcc=lcc) == lgg_scores(model, d, pids, lcc=lcc)[0]


def test_a_lower_threshold_calls_more_pixels_tumour(lgg: tuple) -> None:
    model, d, pids = lgg
    lo = evaluate.lgg_test_report(model, d, pids, threshold=0.05)
    hi = evaluate.lgg_test_report(model, d, pids, threshold=0.95)
    assert lo["fp_rate_empty"] >= hi["fp_rate_empty"]
    assert lo != hi
    tta = evaluate.lgg_test_report(model, d, pids, tta=True, threshold=0.4, lcc=True)
    assert 0.0 <= tta["patient_dice_3d"] <= 1.0 and tta["n_patients"] == len(pids)


@pytest.mark.parametrize("argv, message", [
    (["--task", "em", "--tta"], "apply to --task lgg only"),
    (["--task", "lgg", "--threshold", "1.5"], r"--threshold must be in \(0, 1\)"),
])
def test_the_cli_refuses_what_does_not_apply(argv: list[str], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        evaluate.main(argv)
    assert re.search(message, capsys.readouterr().err)
