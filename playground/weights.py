"""Saving and loading shipped weights with their metadata (``assets/<name>.pt`` + ``<name>.json``).

Weights are a plain ``state_dict`` (optionally stored in fp16) loaded with
``torch.load(..., weights_only=True)``. The JSON metadata records how the weights were made:
architecture config, parameter count, dataset, metrics, seed, recipe, data hash and code hash.
The app rebuilds each model from ``meta["config"]``, never from assumptions.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from playground.config import ASSETS_DIR, REPO_ROOT

REQUIRED_META_KEYS: tuple[str, ...] = ("name", "config", "param_count", "seed", "recipe", "data_hash")


def file_hash(paths: Iterable[Path], algo: str = "sha256") -> str:
    """Hash the bytes of ``paths`` (sorted by name) into one hex digest: the data or code hash."""
    h = hashlib.new(algo)
    for p in sorted(Path(x) for x in paths):
        h.update(p.name.encode())
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def code_hash(*modules: str) -> str:
    """Hash of the given source files (paths relative to the repository root)."""
    return file_hash([REPO_ROOT / m for m in modules])


def param_count(model: torch.nn.Module) -> int:
    """``sum(p.numel() for p in model.parameters())``."""
    return sum(p.numel() for p in model.parameters())


def hardware() -> str:
    """A short description of the machine that trained, for the metadata."""
    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else platform.processor() or "cpu"
    return f"{dev}; torch {torch.__version__}; {torch.get_num_threads()} threads"


def save(
    model: torch.nn.Module,
    name: str,
    meta: dict[str, Any],
    fp16: bool = False,
    assets_dir: Path = ASSETS_DIR,
) -> Path:
    """Write ``<name>.pt`` (state_dict) and ``<name>.json`` (metadata) into ``assets_dir``."""
    missing = [k for k in REQUIRED_META_KEYS if k not in {**meta, "name": name}]
    if missing:
        raise ValueError(f"metadata for {name} lacks {missing}")
    sd = {k: (v.half() if fp16 and v.is_floating_point() else v).detach().cpu().contiguous()
          for k, v in model.state_dict().items()}
    assets_dir.mkdir(parents=True, exist_ok=True)
    path = assets_dir / f"{name}.pt"
    torch.save(sd, path)
    full = {"name": name, "param_count": param_count(model), "weights_file": path.name,
            "weights_sha256": file_hash([path]), "storage": "fp16" if fp16 else "fp32",
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), **meta}
    (assets_dir / f"{name}.json").write_text(json.dumps(full, indent=1, sort_keys=False) + "\n")
    return path


def load_meta(name: str, assets_dir: Path = ASSETS_DIR) -> dict[str, Any]:
    """Read ``<name>.json``; ``FileNotFoundError`` names the missing file."""
    path = assets_dir / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no metadata {path.name} in {assets_dir}")
    return json.loads(path.read_text())


def load_state_dict(name: str, assets_dir: Path = ASSETS_DIR) -> dict[str, torch.Tensor]:
    """Load ``<name>.pt`` safely (``weights_only=True``) and cast floating tensors to fp32."""
    path = assets_dir / f"{name}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no weights {path.name} in {assets_dir}")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    return {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}


def load_into(model: torch.nn.Module, name: str, assets_dir: Path = ASSETS_DIR) -> torch.nn.Module:
    """Load weights into ``model`` (strict), check the recorded parameter count, set eval mode."""
    meta = load_meta(name, assets_dir)
    model.load_state_dict(load_state_dict(name, assets_dir), strict=True)
    if param_count(model) != meta["param_count"]:
        raise ValueError(
            f"{name}: model has {param_count(model):,} parameters, metadata records {meta['param_count']:,}"
        )
    return model.eval()
