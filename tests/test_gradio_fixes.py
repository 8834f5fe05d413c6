"""REGRESSION (issue 8 load test): Gradio rewrote a cached output image in place while another
user's browser was downloading it ("peer closed connection without sending complete message body
(received 0 bytes, expected 1199)"). ``playground.ui.gradio_fixes`` writes each file once,
atomically, at the path Gradio itself would use."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from gradio import processing_utils
from PIL import Image

from playground.ui import gradio_fixes


def _image(seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))


def test_same_path_as_gradio_and_installed(tmp_path: Path) -> None:
    img = _image()
    data = processing_utils.encode_pil_to_bytes(img, "png")
    want = (tmp_path / processing_utils.hash_bytes(data) / "image.png").resolve()
    got = gradio_fixes.save_pil_to_cache(img, str(tmp_path), format="png")
    assert got == str(want) and want.read_bytes() == data
    b = gradio_fixes.save_bytes_to_cache(b"abc", "x.txt", str(tmp_path))
    assert Path(b).read_bytes() == b"abc" and Path(b).parent.name == processing_utils.hash_bytes(b"abc")
    import app  # noqa: F401 - building the app installs the fix

    app.build_demo()
    assert processing_utils.save_pil_to_cache is gradio_fixes.save_pil_to_cache
    assert processing_utils.save_bytes_to_cache is gradio_fixes.save_bytes_to_cache


def test_concurrent_rewrites_never_expose_a_partial_file(tmp_path: Path) -> None:
    img = _image(1)
    path = Path(gradio_fixes.save_pil_to_cache(img, str(tmp_path), format="png"))
    size = path.stat().st_size
    stop = threading.Event()
    bad: list[int] = []
    rewrites = [0, 0]
    crashed: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            while not stop.is_set():
                gradio_fixes.save_pil_to_cache(img, str(tmp_path), format="png")
                # force real rewrites, as if the cache were new each time (the other writer may
                # have removed it already)
                path.unlink(missing_ok=True)
                gradio_fixes.save_pil_to_cache(img, str(tmp_path), format="png")
                rewrites[i] += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            crashed.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(3000):
            try:
                n = len(path.read_bytes())
            except FileNotFoundError:  # between our own unlink and rewrite
                continue
            if n != size:
                bad.append(n)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not crashed, f"a writer stopped early: {crashed[0]!r}"
    assert min(rewrites) > 0, f"both writers must have rewritten the file, got {rewrites}"
    assert not bad, f"a reader saw partial files of {sorted(set(bad))[:5]} bytes (full: {size})"
    assert not list(path.parent.glob(".part-*")), "temporary files left behind"


def test_existing_file_is_not_rewritten(tmp_path: Path) -> None:
    img = _image(2)
    path = Path(gradio_fixes.save_pil_to_cache(img, str(tmp_path), format="png"))
    inode = path.stat().st_ino
    gradio_fixes.save_pil_to_cache(img, str(tmp_path), format="png")
    assert path.stat().st_ino == inode  # kept, not replaced: no window for a reader at all
