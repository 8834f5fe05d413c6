"""The lenient components pass undecodable payloads through, and defining them writes no files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio.data_classes import FileData

from playground.ui import components

ROOT = Path(__file__).resolve().parent.parent


def test_building_the_app_writes_no_stub_files() -> None:
    t0 = time.time() - 1
    subprocess.run([sys.executable, "-c", "import app; app.build_demo()"], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    fresh = [p for p in (ROOT / "playground").rglob("*.pyi") if p.stat().st_mtime >= t0]
    assert not fresh, f"Gradio wrote stub files into the repository: {fresh}"


def test_lenient_image_hands_a_corrupt_file_to_our_loader(tmp_path: Path) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    img = components.LenientImage(type="filepath")
    with pytest.raises(Exception):
        components.gr.Image(type="numpy").preprocess(FileData(path=str(bad)))
    assert img.preprocess(FileData(path=str(bad))) == str(bad)


def test_lenient_number_keeps_what_gradio_would_refuse() -> None:
    num = components.LenientNumber(precision=0)
    assert num.preprocess(3) == 3
    nan = float("nan")
    assert num.preprocess(nan) is nan


def test_upload_path_reads_filedata_and_dicts() -> None:
    assert components.upload_path(FileData(path="/tmp/a.png")) == "/tmp/a.png"
    assert components.upload_path({"path": "/tmp/b.png"}) == "/tmp/b.png"
    assert components.upload_path(None) is None and components.upload_path({}) is None
