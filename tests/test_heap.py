"""The start-up heap is frozen once (``playground.ui.heap``), in a process of its own: freezing the
test process itself would keep every later test's garbage cycles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import gc, weakref
from playground.ui import heap
class Node: pass
junk = Node(); junk.me = junk  # a garbage cycle made before the freeze ...
gone = weakref.ref(junk)
del junk
n = heap.freeze_after_startup()
assert gone() is None  # ... was collected first, not frozen
assert n == gc.get_freeze_count() > 1000, n
assert gc.get_count()[2] == 0
kept = [object() for _ in range(10)]
later = {"x": []}
gc.collect()
assert gc.get_freeze_count() == n  # objects made later are not frozen: they are collected as before
print(n)
"""


def test_freeze_collects_first_and_freezes_only_what_exists() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 1000


def test_the_server_freezes_its_heap_after_launch() -> None:
    import app as app_module
    import inspect

    src = inspect.getsource(app_module.main)
    assert src.index("launch(demo") < src.index("heap.freeze_after_startup()") < src.index("block_thread")
