"""The course's three tables (golden files) and the comparison view's figures.

Regenerate the golden files after an intended change with ``UPDATE_GOLDEN=1 python -m pytest
tests/test_arch_course.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from torch import nn

from playground.arch import compare, course

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture()
def update_golden() -> bool:
    """True when ``UPDATE_GOLDEN=1``: rewrite the golden files instead of comparing."""
    return os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


@pytest.mark.parametrize("key", ["alexnet", "vgg16", "resnet18"])
def test_course_table_golden(key: str, update_golden: bool) -> None:
    text = course.render_text(course.course_table(key))
    path = GOLDEN / f"course_{key}.txt"
    if update_golden:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_course_numbers() -> None:
    a = course.course_table("alexnet")
    assert a.app_total == a.course_total == 62_378_344
    assert [r.output for r in a.rows if r.type == "Conv2d"] == [
        "96×55×55", "256×27×27", "384×13×13", "384×13×13", "256×13×13"]
    assert any("60,965,224" in n for n in a.notes) and any("61,100,840" in n for n in a.notes)
    v = course.course_table("vgg16")
    assert (v.app_total, v.course_total) == (138_357_544, 138_423_208)
    assert v.course_total - v.app_total == course.VGG16_COURSE_POOL_PARAMS
    assert all(r.params == 0 for r in v.rows if r.type == "MaxPool2d")
    r = course.course_table("resnet18")
    assert r.app_total == 11_689_512
    extra = sum(x.params for x in r.rows if x.extra)
    assert r.app_total - r.course_total == extra == 181_632
    with pytest.raises(ValueError, match="unknown course table"):
        course.course_table("lenet")


def test_two_tower_alexnet_count_with_real_grouped_convs() -> None:
    """The note's 60,965,224: conv2, conv4, conv5 with groups=2, counted by torch."""
    with __import__("torch").device("meta"):
        convs = [nn.Conv2d(3, 96, 11, 4), nn.Conv2d(96, 256, 5, padding=2, groups=2),
                 nn.Conv2d(256, 384, 3, padding=1), nn.Conv2d(384, 384, 3, padding=1, groups=2),
                 nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.Linear(9216, 4096),
                 nn.Linear(4096, 4096), nn.Linear(4096, 1000)]
    assert sum(p.numel() for m in convs for p in m.parameters()) == 60_965_224


def test_compare_points_and_published_figures() -> None:
    pts = {p.key: p for p in compare.points()}
    assert pts["vgg16"].params == 138_357_544 and pts["resnet50"].macs == 4_089_184_256
    assert all(p.act_bytes > 0 for p in pts.values())
    pub = compare.published_table()
    assert [row[3] for row in pub] == ["84.7 % (published)", "92.3 % (published)",
                                       "93.3 % (published)", "95.51 % (published)"]
    assert "published" in compare.PUBLISHED_HEADERS[3]
    fig = compare.bubble_figure(["alexnet", "resnet18"])
    assert len(fig.axes[0].collections) >= 2
