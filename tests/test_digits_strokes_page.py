"""``canvas_origin`` / ``draw_on_page`` against a fake Playwright page: square and 512x256 canvases."""

from __future__ import annotations

import pytest

from playground.digits.strokes import canvas_origin, draw_on_page


class FakeLocator:
    def __init__(self, box: dict, text: str) -> None:
        self.box, self.text, self.first = box, text, self

    def bounding_box(self) -> dict:
        return self.box

    def inner_text(self) -> str:
        return self.text


class FakeMouse:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def move(self, x: float, y: float) -> None:
        self.events.append(("move", x, y))

    def down(self) -> None:
        self.events.append(("down",))

    def up(self) -> None:
        self.events.append(("up",))


class FakePage:
    def __init__(self, box: dict, text: str = "") -> None:
        self.loc, self.mouse = FakeLocator(box, text), FakeMouse()

    def locator(self, selector: str) -> FakeLocator:
        return self.loc


def test_a_wide_canvas_fits_its_box_by_the_tighter_side() -> None:
    # a 600x400 box holds a 512x256 canvas at zoom min(600/512, 400/256) = 1.171875, centred
    page = FakePage({"x": 10.0, "y": 20.0, "width": 600.0, "height": 400.0})
    x0, y0, zoom = canvas_origin(page, "#pad", (512, 256))
    assert zoom == pytest.approx(600 / 512)
    assert x0 == pytest.approx(10.0)
    assert y0 == pytest.approx(20.0 + (400 - 256 * 600 / 512) / 2)


def test_the_toolbar_zoom_wins_and_a_square_canvas_takes_one_side() -> None:
    page = FakePage({"x": 0.0, "y": 0.0, "width": 500.0, "height": 300.0}, "Brush 50% Undo")
    assert canvas_origin(page, "#pad", 280) == pytest.approx((250 - 70, 150 - 70, 0.5))
    assert canvas_origin(page, "#pad", (280, 280)) == canvas_origin(page, "#pad", 280)


def test_draw_on_page_maps_canvas_pixels_to_page_pixels() -> None:
    page = FakePage({"x": 100.0, "y": 50.0, "width": 1024.0, "height": 512.0})
    draw_on_page(page, "#pad", [[(0.0, 0.0), (512.0, 256.0)]], canvas=(512, 256), step=1000.0)
    moves = [e[1:] for e in page.mouse.events if e[0] == "move"]
    assert page.mouse.events[1] == ("down",) and page.mouse.events[-1] == ("up",)
    assert moves[0] == pytest.approx((100.0, 50.0)) and moves[-1] == pytest.approx((1124.0, 562.0))
