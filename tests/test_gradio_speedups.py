"""Gradio's per-session config is built lazily, and its analytics summary is not rebuilt after every
event (``playground.ui.gradio_speedups``); the behaviour Gradio's users see stays the same."""

from __future__ import annotations

import sys
import warnings

import gradio as gr
import httpx
import pytest
from gradio.blocks import BlocksConfig
from gradio.state_holder import SessionState

from playground.ui import gradio_speedups
from playground.ui.gradio_speedups import LazyConfigValues


def _probe() -> gr.Blocks:
    with gr.Blocks(title="speedups probe") as demo:
        n = gr.Number(3, label="n")
        count = gr.State(0)
        out = gr.Textbox(label="out")
        gr.Slider(0, 10, 4, label="unused")

        def step(x: float, c: int) -> tuple[str, int, dict]:
            return f"{x * 2:g} after {c + 1}", c + 1, gr.update(label="n (seen)")

        gr.Button("go").click(step, [n, count], [out, count, n], api_name="step")
    return demo


def _eager(demo: gr.Blocks) -> dict:
    cfg = demo.default_config
    return {k: cfg.config_for_block(k, [], v) for k, v in cfg.blocks.items() if k in demo.blocks}


def test_lazy_config_reads_like_the_eager_dict() -> None:
    demo = _probe()
    eager = _eager(demo)
    lazy = LazyConfigValues(BlocksConfig.config_for_block, dict(demo.default_config.blocks))
    assert len(lazy) == len(eager) and dict.__len__(lazy) == 0  # nothing computed yet
    some = next(iter(eager))
    assert some in lazy and lazy[some] == eager[some] and dict.__len__(lazy) == 1
    assert lazy.get(-1, "none") == "none" and -1 not in lazy
    with pytest.raises(KeyError):
        lazy[-1]
    lazy[some] = {"replaced": True}
    lazy[10_000] = {"new": True}
    assert lazy[some] == {"replaced": True} and 10_000 in lazy
    expected = {**eager, some: {"replaced": True}, 10_000: {"new": True}}
    assert lazy.items() == list(expected.items())  # same order as the eager dict
    assert lazy == expected and list(lazy) == list(expected) and lazy.values() == list(expected.values())
    del lazy[10_000]
    assert 10_000 not in lazy and len(lazy) == len(eager)


def test_a_new_session_computes_no_config_until_it_is_read() -> None:
    assert gradio_speedups.install_lazy_session_config()
    demo = _probe()
    s = SessionState(demo)
    assert isinstance(s.config_values, LazyConfigValues) and dict.__len__(s.config_values) == 0
    assert list(s.components) == [c for c in _eager(demo).values() if c]


def test_served_app_keeps_state_updates_and_deep_links(monkeypatch: pytest.MonkeyPatch) -> None:
    from gradio_client import Client

    from bench._common import served_app

    gradio_speedups.install_lazy_session_config()
    with served_app(_probe()) as (demo, url):
        c = Client(url, verbose=False)
        assert c.predict(5, api_name="/step")[0] == "10 after 1"
        assert c.predict(5, api_name="/step")[0] == "10 after 2"  # the session's State carried over
        (session,) = [s for h, s in demo.state_holder.session_data.items() if h == c.session_hash]
        assert isinstance(session.config_values, LazyConfigValues)
        assert dict.__len__(session.config_values) < len(session.config_values)  # most never built
        r = httpx.get(url + "gradio_api/deep_link", params={"session_hash": c.session_hash}, timeout=30)
        assert r.status_code == 200 and r.text.strip('"')  # the deep link still has every component


def test_analytics_summary_is_not_rebuilt_and_monitoring_is_off() -> None:
    from gradio_client import Client

    from bench._common import served_app

    with served_app(_probe()) as (demo, url):
        assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == sys.maxsize
        Client(url, verbose=False).predict(2, api_name="/step")
        assert demo._queue.events_recorded >= 1  # Gradio still records the event ...
        assert demo._queue.cached_event_analytics_summary == {"functions": {}}  # ... but builds no summary
        assert httpx.get(url + "monitoring/summary", timeout=30).status_code == 403


def test_analytics_summary_stays_on_when_monitoring_is_enabled() -> None:
    from bench._common import served_app

    with served_app(_probe(), enable_monitoring=True) as (demo, _):
        assert demo._queue.ANAYLTICS_CACHE_FREQUENCY != sys.maxsize


def test_other_gradio_versions_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gr, "__version__", "99.0.0")
    demo = _probe()
    demo.queue()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert gradio_speedups.skip_analytics_summary(demo) is False
    assert any("written for Gradio" in str(w.message) for w in caught)
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY != sys.maxsize
    monkeypatch.setitem(gradio_speedups._state, "lazy", False)
    before = SessionState.__init__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradio_speedups.install_lazy_session_config() is False
    assert SessionState.__init__ is before


def test_the_environment_switch_turns_both_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(gradio_speedups.ENV_SWITCH, "0")
    demo = _probe()
    demo.queue()
    assert gradio_speedups.skip_analytics_summary(demo) is False
    monkeypatch.setitem(gradio_speedups._state, "lazy", False)
    before = SessionState.__init__
    assert gradio_speedups.install_lazy_session_config() is False and SessionState.__init__ is before


def _eager_session(demo: gr.Blocks) -> SessionState:
    """A session as Gradio builds it, config computed eagerly (a plain dict: Gradio's own methods)."""
    s = SessionState(demo)
    s.config_values = _eager(demo)
    return s


@pytest.mark.parametrize("seed", range(6))
def test_deferred_updates_give_the_configs_gradio_computes(seed: int) -> None:
    """Random sequences of what ``Blocks.preprocess_data``/``postprocess_data`` do to a session
    (set a block, replace it by an update and refresh its config, set a value, set a State),
    with reads in between, leave the lazy session's configs equal to the eager session's."""
    import random

    assert gradio_speedups.install_lazy_session_config()
    demo = _probe()
    lazy, eager = SessionState(demo), _eager_session(demo)
    assert isinstance(lazy.config_values, LazyConfigValues) and not isinstance(eager.config_values, LazyConfigValues)
    comps = [b for b in demo.blocks.values() if isinstance(b, (gr.Number, gr.Textbox, gr.Slider))]
    states = [b for b in demo.blocks.values() if isinstance(b, gr.State)]
    rng = random.Random(seed)
    for step in range(120):
        op, b = rng.randrange(5), rng.choice(comps)
        for s in (lazy, eager):
            if op == 0:
                s[b._id] = b
            elif op == 1:  # a gr.update(label=...) returned by an event
                kwargs = {**s[b._id].constructor_args, "label": f"label {step}", "render": False}
                kwargs.pop("value", None)
                s[b._id] = b.__class__(**kwargs)
                s._update_config(b._id)
            elif op == 2:
                s._update_value_in_config(b._id, f"value {step}")
            elif op == 3:
                s[states[0]._id] = step
            else:  # something reads the config midway (computes that entry in the lazy session)
                assert s.config_values[b._id] == eager.config_values[b._id]
        if op == 1:
            assert dict.__contains__(lazy.config_values, b._id) is False  # deferred, not computed
    assert list(lazy.components) == list(eager.components)
    assert lazy.state_data == eager.state_data


def test_served_app_defers_update_configs() -> None:
    from gradio_client import Client

    from bench._common import served_app

    gradio_speedups.install_lazy_session_config()
    with served_app(_probe()) as (demo, url):
        c = Client(url, verbose=False)
        for _ in range(3):
            c.predict(5, api_name="/step")  # each returns gr.update(label=...) for the number box
        (session,) = [s for h, s in demo.state_holder.session_data.items() if h == c.session_hash]
        assert dict.__len__(session.config_values) == 0  # three events, no config built
        (number,) = [b for b in demo.blocks.values() if isinstance(b, gr.Number)]
        (out,) = [b for b in demo.blocks.values() if isinstance(b, gr.Textbox)]
        assert session.config_values[number._id]["props"]["label"] == "n (seen)"  # the update, when read
        assert session.config_values[out._id]["props"]["value"] == "10 after 3"  # the last value sent
