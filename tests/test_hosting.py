"""The repository works as a Hugging Face Space as pushed.

- README front matter: ``sdk: gradio``, ``sdk_version`` = the gradio pin in requirements.txt,
  ``app_file: app.py``; the README documents the classroom LAN command.
- requirements.txt: exact pins for torch/torchvision/gradio, no CUDA-only wheels or extra index,
  and every third-party module the runtime code imports is listed.
- ``python app.py`` (a subprocess) honours ``GRADIO_SERVER_PORT``, and serving requests to every
  endpoint writes nothing inside the repository (uploads and caches go to temp/cache dirs).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.startup import call_defaults, free_port, start_app, stop_app, wait_http  # noqa: E402

# module imported by the runtime code → the requirements.txt distribution that provides it
DISTRIBUTIONS = {"torch": "torch", "torchvision": "torchvision", "gradio": "gradio", "numpy": "numpy",
                 "matplotlib": "matplotlib", "mpl_toolkits": "matplotlib", "PIL": "Pillow",
                 "tqdm": "tqdm", "gradio_client": "gradio",
                 "pandas": "gradio"}  # pandas is a hard dependency of gradio (install_requires)


def _front_matter() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert m, "README.md must start with a --- YAML front matter block --- (Hugging Face Space card)"
    out = {}
    for line in m.group(1).splitlines():
        if ":" in line and not line.startswith(" "):
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip().strip('"').strip("'")
    return out


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        m = re.match(r"([A-Za-z0-9_.-]+)\s*(==|>=|~=)\s*([^\s;]+)", line)
        if m:
            pins[m.group(1).lower()] = (m.group(2), m.group(3))
        elif line:
            pins[re.split(r"[<>=!~;\[ ]", line)[0].lower()] = ("", "")
    return pins


def test_readme_front_matter_matches_requirements() -> None:
    fm = _front_matter()
    assert fm.get("sdk") == "gradio", fm
    assert fm.get("app_file") == "app.py", fm
    op, version = _pins()["gradio"]
    assert op == "==", "pin gradio exactly: the Space's sdk_version must be the tested version"
    assert fm.get("sdk_version") == version, (fm.get("sdk_version"), version)
    for key in ("title", "python_version"):
        assert fm.get(key), f"front matter lacks {key!r}"


def test_readme_documents_classroom_lan() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--host 0.0.0.0" in text, "README must show `python app.py --host 0.0.0.0` for a LAN"


def test_ci_runs_the_readme_test_command() -> None:
    """The README's test command (its first code block's second line) is the one ``.ci/run`` runs."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README must open with a bash block: the launch and test commands"
    lines = [ln.split("  #")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert len(lines) >= 2 and "pytest" in lines[1], lines
    ci = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert lines[1] in ci, f".ci/run does not run the README's test command {lines[1]!r}"


def test_requirements_install_on_a_cpu_space() -> None:
    text = (ROOT / "requirements.txt").read_text()
    assert "--index-url" not in text and "--extra-index-url" not in text and "+cu" not in text
    pins = _pins()
    for name in ("torch", "torchvision", "gradio"):
        assert pins.get(name, ("", ""))[0] == "==", f"{name} must be pinned exactly"
    needed: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "playground").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                if top in sys.stdlib_module_names or top in ("playground", "app", "__future__"):
                    continue
                needed.add(top)
    missing = {m for m in needed if DISTRIBUTIONS.get(m, m).lower() not in pins}
    assert not missing, f"imported by the app but not in requirements.txt: {sorted(missing)}"


def _snapshot(root: Path) -> dict[str, tuple[float, int]]:
    """{relative path: (mtime, size)} of every file in the repository that the app could write."""
    skip_dirs = {".git", "__pycache__", ".pytest_cache", ".hypothesis", "artifacts"}
    out = {}
    for p in root.rglob("*"):
        if any(part in skip_dirs for part in p.relative_to(root).parts) or not p.is_file():
            continue
        st = p.stat()
        out[str(p.relative_to(root))] = (st.st_mtime, st.st_size)
    return out


@pytest.fixture(scope="module")
def served_app():  # noqa: ANN201 - (url, port)
    """``python app.py`` in a subprocess with GRADIO_SERVER_PORT set to a free port."""
    port = free_port()
    proc = start_app(port)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, proc, timeout=180)
        yield url, port
    finally:
        stop_app(proc)


def test_gradio_server_port_is_honoured(served_app) -> None:  # noqa: ANN001
    import httpx

    url, port = served_app
    r = httpx.get(url, timeout=10)
    assert r.status_code == 200 and "gradio" in r.text.lower(), f"nothing Gradio on port {port}"


def test_serving_requests_writes_nothing_in_the_repository(served_app) -> None:  # noqa: ANN001
    url, _ = served_app
    before = _snapshot(ROOT)
    results = call_defaults(url)  # every non-training endpoint once, with a sample image upload
    assert results, "no endpoint answered"
    after = _snapshot(ROOT)
    created = sorted(set(after) - set(before))
    changed = sorted(k for k in set(after) & set(before) if after[k] != before[k])
    # other sessions may edit source files meanwhile: only generated (non-source) files count
    source = re.compile(r"\.(py|md|txt|json|toml|cfg|yml|yaml)$")
    created = [c for c in created if not source.search(c) or c.startswith(("flagged", ".gradio"))]
    changed = [c for c in changed if not source.search(c)]
    assert not created and not changed, (
        f"serving requests wrote in the repository: created {created[:10]}, changed {changed[:10]}")
    assert not (ROOT / ".gradio").exists() or not any((ROOT / ".gradio").iterdir()), \
        "Gradio wrote a .gradio/ folder in the repository (set GRADIO caches to a temp dir)"
