"""Trainings yield to interactive requests: the activity counter, its wait, and the app's hook."""

from __future__ import annotations

import math
import threading
import time

import gradio as gr
import pytest
from gradio_client import Client

from bench._common import served_app
from playground import activity
from playground.studio import session
from playground.ui import queue_policy


def _hold(seconds: float, started: threading.Event) -> threading.Thread:
    def run() -> None:
        with activity.interactive():
            started.set()
            time.sleep(seconds)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    assert started.wait(5)
    return th


def test_idle_server_does_not_wait() -> None:
    assert activity.active() == 0
    assert activity.yield_to_interactive(2.0) < 1.0  # a busy server would make it wait 6 s


@pytest.mark.parametrize("step", [-1.0, 0.0, math.nan, math.inf])
def test_degenerate_step_times_never_wait(step: float) -> None:
    started = threading.Event()
    th = _hold(3.0, started)
    assert activity.yield_to_interactive(step) < 1.0
    th.join()


def test_waits_at_most_factor_times_the_step_while_busy() -> None:
    started = threading.Event()
    th = _hold(4.0, started)
    waited = activity.yield_to_interactive(0.1, factor=3.0)
    assert 0.28 <= waited < 2.5  # 3 x 0.1 s, not the 4 s the request lasts
    assert activity.active() == 1
    th.join()
    assert activity.active() == 0


def test_wakes_as_soon_as_the_last_request_ends() -> None:
    started = threading.Event()
    th = _hold(0.2, started)
    waited = activity.yield_to_interactive(5.0)
    assert 0.1 <= waited < 7.5  # woken by the end of the request, not after 3 x 5 s
    th.join()


def test_counter_is_reentrant_and_survives_exceptions() -> None:
    with pytest.raises(RuntimeError):
        with activity.interactive():
            with activity.interactive():
                assert activity.active() == 2
                raise RuntimeError("boom")
    assert activity.active() == 0


def test_app_counts_interactive_events_but_not_trainings() -> None:
    seen: dict[str, int] = {}

    def probe(name: str) -> str:
        seen[name] = activity.active()
        return name

    with gr.Blocks() as demo:
        box = gr.Textbox()
        out = gr.Textbox()
        box.submit(lambda s: probe("click"), box, out, api_name="click")
        box.change(lambda s: probe("train"), box, out, api_name="train")
    demo.queue()
    queue_policy.track_activity(queue_policy.track_activity(demo))  # twice: wrapped once
    with served_app(demo) as (_, url):
        client = Client(url, verbose=False)
        assert client.predict("x", api_name="/click") == "click"
        assert client.predict("x", api_name="/train") == "train"
    assert seen == {"click": 1, "train": 0}
    assert activity.active() == 0


def test_the_whole_app_is_tracked() -> None:
    import app as app_module

    demo = app_module.build_demo()
    assert getattr(demo.process_api, "_tracks_activity", False)
    assert queue_policy.TRAINING_ENDPOINTS <= {fn.api_name for fn in demo.fns.values()}


def test_background_work_slows_down_while_requests_are_in_flight() -> None:
    """Each of 10 items takes ~20 ms; while a request is held, each wait adds up to 3 x 20 ms."""

    def work():  # noqa: ANN202
        for i in range(10):
            time.sleep(0.02)
            yield i

    def run() -> float:
        sess = session.StudioSession(running=True)
        t0 = time.monotonic()
        items = [x for x in session._in_background(sess, work) if x is not None]
        assert items[-1] == 9
        return time.monotonic() - t0

    idle = run()
    started = threading.Event()
    th = _hold(3.0, started)
    busy = run()
    th.join()
    assert busy > idle + 0.3  # ~10 x 60 ms of waiting; idle waits not at all
