"""Page-level browser checks for the whole app (each tab's own tests cover its main and error paths).

- the page loads with no console errors and no uncaught page errors;
- every tab renders: clicking its button shows its panel with content, no error toast appears, and a
  screenshot per tab is saved under tests/artifacts/ (``tab-<id>.png``, not committed);
- the page is usable at a 390-px-wide phone viewport: every tab is reachable, the main container
  does not overflow horizontally (beyond a small tolerance), and a main control of each tab is
  visible and clickable.
"""

from __future__ import annotations

from typing import Any

import pytest

import app as app_module
from tests.conftest import CHROMIUM_ARGS, screenshot  # noqa: F401 - CHROMIUM_ARGS documents the launch

TABS = [(title, title.lower().replace(" ", "-")) for title, _ in app_module.TABS]
MOBILE = {"width": 390, "height": 844}
OVERFLOW_TOLERANCE_PX = 8
IGNORED_CONSOLE = ("favicon", "Failed to load resource: the server responded with a status of 404")


def _real_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(s in e for s in IGNORED_CONSOLE)]


def _open(page: Any, url: str) -> list[str]:
    """Go to the app, wait for it to render; return the list collecting uncaught page errors."""
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("#app-title", timeout=60_000)
    # not "networkidle": the app keeps a queue connection open and may run timers
    page.wait_for_timeout(1500)
    return page_errors


def _click_tab(page: Any, title: str) -> None:
    """Click the top-level tab button ``title`` (through Gradio's overflow menu if it is hidden)."""
    btn = page.get_by_role("tab", name=title, exact=True).first
    if not (btn.count() and btn.is_visible()):
        page.locator("button[aria-label='More tabs']").first.click(timeout=15_000)
        btn = page.locator(f".overflow-dropdown button:text-is('{title}')").first
    btn.click(timeout=15_000)


def _panel(page: Any, tab_id: str) -> Any:  # noqa: ARG001 - Gradio gives tab panels no DOM id
    """The visible top-level tab panel (nested tab panels come after it in document order)."""
    return page.locator(".tabitem:visible").first


def test_page_loads_without_console_or_page_errors(page: Any, app_url: str) -> None:
    page_errors = _open(page, app_url)
    page.wait_for_timeout(1000)
    assert not _real_errors(page.console_errors), page.console_errors
    assert not page_errors, page_errors


@pytest.mark.parametrize(("title", "tab_id"), TABS, ids=[t for _, t in TABS])
def test_each_tab_renders_without_error(page: Any, app_url: str, title: str, tab_id: str) -> None:
    page_errors = _open(page, app_url)
    _click_tab(page, title)
    panel = _panel(page, tab_id)
    panel.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(2000)  # let the tab's load events answer
    assert panel.inner_text().strip(), f"tab {title!r} is empty"
    assert "not built yet" not in panel.inner_text(), f"tab {title!r} is still a placeholder"
    toasts = page.locator(".toast-body.error, .toast-wrap .error")
    assert toasts.count() == 0 or not toasts.first.is_visible(), toasts.first.inner_text()
    screenshot(page, f"tab-{tab_id}")
    assert not _real_errors(page.console_errors), page.console_errors
    assert not page_errors, page_errors


def test_usable_at_390px_phone_width(browser: Any, app_url: str) -> None:
    ctx = browser.new_context(viewport=MOBILE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = ctx.new_page()
    try:
        page_errors = _open(page, app_url)
        problems: list[str] = []
        for title, tab_id in TABS:
            try:
                _click_tab(page, title)
                panel = _panel(page, tab_id)
                panel.wait_for(state="visible", timeout=30_000)
            except Exception as exc:  # noqa: BLE001 - collect every tab's problem
                problems.append(f"{title}: tab not reachable at 390 px ({type(exc).__name__})")
                continue
            widths = page.evaluate(
                """() => { const c = document.querySelector('.gradio-container') || document.body;
                           return {doc: document.documentElement.scrollWidth,
                                   main: Math.round(c.getBoundingClientRect().width),
                                   mainScroll: c.scrollWidth}; }""")
            limit = MOBILE["width"] + OVERFLOW_TOLERANCE_PX
            if max(widths["doc"], widths["main"]) > limit:
                problems.append(f"{title}: horizontal overflow {widths} > {limit} px")
            controls = panel.locator("button:visible, input:visible, textarea:visible, select:visible")
            clickable = False
            for k in range(min(controls.count(), 6)):  # the first actionable one of the main controls
                try:
                    controls.nth(k).scroll_into_view_if_needed(timeout=5_000)
                    controls.nth(k).click(trial=True, timeout=5_000)  # visible, enabled, not covered
                    clickable = True
                    break
                except Exception:  # noqa: BLE001, S112 - try the next control
                    continue
            if not clickable:
                problems.append(f"{title}: no visible, clickable control among the first six")
            screenshot(page, f"mobile-{tab_id}")
        assert not problems, "\n".join(problems)
        assert not page_errors, page_errors
    finally:
        ctx.close()
