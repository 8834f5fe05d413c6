"""DistributedDataParallel on 2 CPU processes (gloo): the ranks' parameters are identical after
every step, and equal to one process training on the union of the two ranks' batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
STEPS = 3


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    env.pop("WORLD_SIZE", None)
    return env


def test_two_ranks_stay_identical(tmp_path) -> None:
    out, ref = tmp_path / "ddp.json", tmp_path / "ref.json"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "playground.studio.ddp_check", "--steps", str(STEPS), "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res["world_size"] == 2
    assert [r["step"] for r in res["records"]] == list(range(1, STEPS + 1))
    assert all(r["identical"] and r["max_abs_diff"] == 0.0 for r in res["records"]), res["records"]

    subprocess.run([sys.executable, "-m", "playground.studio.ddp_check", "--emulate", "2",
                    "--steps", str(STEPS), "--out", str(ref)], cwd=ROOT, env=_env(), check=True,
                   capture_output=True, timeout=120)
    a = torch.tensor(res["params"])
    b = torch.tensor(json.loads(ref.read_text())["params"])
    assert torch.allclose(a, b, atol=1e-6), float((a - b).abs().max())
