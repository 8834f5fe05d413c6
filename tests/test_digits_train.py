"""The training script runs end to end (a few batches) and writes complete metadata."""

from __future__ import annotations

import json

import pytest

from playground.digits import train
from playground.digits.data import raw_dir


@pytest.mark.skipif(raw_dir() is None, reason="needs the MNIST data directory (../shared/data)")
@pytest.mark.parametrize("model", ["lenet5", "mlp"])
def test_train_smoke_writes_weights_and_metadata(model: str, tmp_path) -> None:  # noqa: ANN001
    meta = train.main(["--model", model, "--epochs", "1", "--limit-batches", "3", "--threads", "1",
                       "--assets-dir", str(tmp_path), "--name", f"t_{model}"])
    saved = json.loads((tmp_path / f"t_{model}.json").read_text())
    assert (tmp_path / f"t_{model}.pt").is_file()
    assert saved["param_count"] == meta["param_count"] == (61_706 if model == "lenet5" else 238_510)
    assert len(saved["history"]) == 1 and saved["recipe"]["limit_batches"] == 3
    assert sum(map(sum, saved["confusion_matrix"])) == 10_000
    assert saved["seed"] == 0 and len(saved["data_hash"]) == 64
