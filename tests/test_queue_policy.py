"""The queue policy: model endpoints share one 2-job queue; calculators keep their own queues."""

from __future__ import annotations

import gradio as gr
import pytest

import app as app_module
from playground.ui import queue_policy


@pytest.fixture(scope="module")
def demo() -> gr.Blocks:
    return app_module.build_demo()


def test_model_endpoints_share_one_queue(demo: gr.Blocks) -> None:
    fns = {fn.api_name: fn for fn in demo.fns.values()}
    for name in queue_policy.MODEL_ENDPOINTS:
        assert fns[name].concurrency_id == "models", name
        assert fns[name].concurrency_limit == queue_policy.MODEL_CONCURRENCY
    calculators = [fns[n] for n in ("layer_summary", "analyze", "architecture_table")]
    assert len({fn.concurrency_id for fn in calculators} | {"models"}) == len(calculators) + 1


def test_unknown_endpoint_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with gr.Blocks() as demo:
        gr.Button().click(lambda: None, None, None, api_name="only_event")
    monkeypatch.setattr(queue_policy, "MODEL_ENDPOINTS", frozenset({"only_event", "renamed_away"}))
    with pytest.raises(ValueError, match="renamed_away"):
        queue_policy.apply(demo)


def test_limits_can_be_raised_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(queue_policy.ENV_MODEL_CONCURRENCY, "6")
    monkeypatch.setenv(queue_policy.ENV_DEFAULT_CONCURRENCY, " 8 ")
    demo = app_module.build_demo()
    fns = {fn.api_name: fn for fn in demo.fns.values()}
    assert fns["segment"].concurrency_limit == 6
    assert demo._queue.default_concurrency_limit == 8
    for bad in ("0", "65", "-1", "2.5", "many"):
        monkeypatch.setenv(queue_policy.ENV_DEFAULT_CONCURRENCY, bad)
        with pytest.raises(ValueError, match=queue_policy.ENV_DEFAULT_CONCURRENCY):
            queue_policy.limit_from_env(queue_policy.ENV_DEFAULT_CONCURRENCY, 2)
    monkeypatch.delenv(queue_policy.ENV_DEFAULT_CONCURRENCY)
    assert queue_policy.limit_from_env(queue_policy.ENV_DEFAULT_CONCURRENCY, 2) == 2
