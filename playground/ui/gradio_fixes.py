"""A fix for a race in Gradio's output cache, found by ``bench/load.py`` (issue 8).

Gradio saves every returned image under a content-addressed path, ``<cache>/<sha of the bytes>/
image.<format>``, with ``Path.write_bytes``: the file is *truncated* and rewritten even when it
already exists. When two students get the same picture (the same sample image, a blank canvas),
the second request's rewrite truncates the file while the first student's browser is downloading
it. The download then ends early ("peer closed connection without sending complete message body
(received 0 bytes, expected 1199)"), and the page shows a broken image.

Gradio's own ``save_file_to_cache`` already avoids this (it returns an existing copy and writes
new ones under a temporary name, then renames them). :func:`install` gives ``save_pil_to_cache``
and ``save_bytes_to_cache`` the same behaviour. The path is a hash of the bytes, so an existing
file of the right size already holds exactly these bytes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio import processing_utils

from playground.ui import output_files

_installed = False


def write_once(path: Path, data: bytes) -> None:
    """Make ``path`` hold ``data`` without ever exposing a partial file to a concurrent reader:
    keep an existing file of the same size (content-addressed), else write a temporary file in the
    same folder and ``os.replace`` it into place (atomic on POSIX and Windows)."""
    try:
        if path.stat().st_size == len(data):
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:  # noqa: A002, ANN001
    """Gradio's ``save_pil_to_cache`` (same signature and path), written with :func:`write_once`
    and remembered by :func:`output_files.remember`."""
    data = processing_utils.encode_pil_to_bytes(img, format)
    path = (Path(cache_dir) / processing_utils.hash_bytes(data) / f"{name}.{format}").resolve()
    write_once(path, data)
    output_files.remember(str(path), data)  # served from memory (output_files.FileFastPath)
    return str(path)


def save_bytes_to_cache(data: bytes, file_name: str, cache_dir: str) -> str:
    """Gradio's ``save_bytes_to_cache`` (same signature and path), written with :func:`write_once`."""
    if not Path(file_name).suffix:
        file_name += processing_utils.detect_audio_format(data)
    path = Path(cache_dir) / processing_utils.hash_bytes(data) / Path(file_name).name
    write_once(path, data)
    return str(path.resolve())


def install() -> None:
    """Replace the two functions in ``gradio.processing_utils`` (idempotent). The components look
    them up there at call time, so every ``gr.Image``/``gr.Gallery`` output uses the safe writer."""
    global _installed
    if not _installed:
        processing_utils.save_pil_to_cache = save_pil_to_cache
        processing_utils.save_bytes_to_cache = save_bytes_to_cache
        _installed = True
