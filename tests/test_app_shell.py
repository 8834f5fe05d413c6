"""The app builds, serves, and every event has an api_name."""

from __future__ import annotations

import app as app_module


def test_build_demo_has_all_tabs() -> None:
    demo = app_module.build_demo()
    cfg = demo.get_config_file()
    labels = {c.get("props", {}).get("label") for c in cfg["components"]}
    for title, _ in app_module.TABS:
        assert title in labels


def test_every_event_has_api_name() -> None:
    demo = app_module.build_demo()
    missing = [
        fn for fn in demo.fns.values()
        if getattr(fn, "api_visibility", "public") != "private"
        and (fn.api_name in (None, False) or str(fn.api_name).startswith("lambda"))
    ]
    assert not missing, [f.name for f in missing]


def test_page_loads_without_console_errors(page, app_url: str) -> None:
    page.goto(app_url)
    page.wait_for_selector("#app-title", timeout=30_000)
    assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors
