"""Training studio through gradio_client: streaming /train, stop, bad input, session isolation,
/augment, /check_network, /checkpoint; plus the callbacks called directly."""

from __future__ import annotations

import threading
import time

import gradio as gr
import pytest
import torch
from gradio_client import Client

from playground.studio import presets, session
from playground.ui import studio as ui

CUSTOM = presets.CUSTOM
TINY = ("nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.Flatten(), "
        "nn.Linear(676, 10))")


def train_args(steps: int = 120, lr: float = 3e-3, batch: int = 32, seed: int = 0,
               network: str = CUSTOM, code: str = TINY, opt: str = "Adam") -> tuple:
    return (network, code, "MNIST", opt, lr, batch, "steps", steps, False, seed, 0, 120)


def progress_of(out) -> dict:  # noqa: ANN001
    return out[3]


def wait_for_step(job, at_least: int = 1, timeout: float = 60) -> None:  # noqa: ANN001
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        outs = job.outputs()
        if outs and progress_of(outs[-1]) and progress_of(outs[-1])["step"] >= at_least:
            return
        time.sleep(0.1)
    raise AssertionError(f"no streamed update with step >= {at_least} within {timeout} s")


# Direct callbacks -------------------------------------------------------------------------------
def test_callbacks_refuse_bad_input_with_gr_error() -> None:
    s = session.new_session()
    for args in [train_args(lr=0), train_args(lr=-1e-3), train_args(lr=float("nan")),
                 train_args(batch=0), train_args(batch=10**6),
                 train_args(code="nn.Sequential(nn.Flatten(), nn.Linear(100, 10))")]:
        with pytest.raises(gr.Error):
            next(ui.train_stream(s, *args))
        assert not s.running
    assert "cannot be trained" in ui.check_network(CUSTOM, "nn.Sequential(nn.Conv2d(3, 8, 3))",
                                                   "MNIST", 32)
    assert "61,706 parameters" in ui.check_network("LeNet-5", "", "MNIST", 32)
    assert ui.stop(s) == "Nothing is training in this session."
    with pytest.raises(gr.Error, match="train a network first"):
        ui.checkpoint(s, 0, 0)


# Through the server -----------------------------------------------------------------------------
def test_train_streams_updates_and_downloads(client: Client) -> None:
    # long enough (~2 s even on an idle machine) for several 0.4 s updates: with 150 steps the
    # whole training fit between two updates on CI's idle CPU and only the final one arrived
    job = client.submit(*train_args(steps=1500, batch=128), api_name="/train")
    updates = [progress_of(o) for o in job]
    final = job.outputs()[-1]
    steps = [u["step"] for u in updates if u]
    assert len(steps) >= 2 and steps == sorted(steps) and steps[-1] == 1500, steps
    assert updates[-1]["status"] == "done" and 0 < updates[-1]["loss"] < 2.3
    assert {"step", "total_steps", "loss", "train_acc", "heldout_acc", "eta_s"} <= set(updates[-1])
    assert "Test accuracy" in final[4]
    files = final[10]
    paths = [f if isinstance(f, str) else f.get("path", f) for f in files]
    pt = next(p for p in paths if str(p).endswith(".pt"))
    sd = torch.load(pt, weights_only=True)
    assert set(sd) == {"0.weight", "0.bias", "3.weight", "3.bias"}
    assert any(str(p).endswith(".py") for p in paths)
    img, caption = client.predict(0, 0, api_name="/checkpoint")
    assert img and "checkpoint 1 /" in caption


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_divergence_reported_not_a_crash(client: Client, opt: str) -> None:
    job = client.submit(*train_args(steps=300, lr=1e6, opt=opt, network="LeNet-5", code=""),
                        api_name="/train")
    final = job.result()
    assert progress_of(final)["status"] == "diverged"
    assert "Diverged" in final[4] and "learning rate" in final[4]


@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=0), "learning rate"), (dict(lr=-1), "learning rate"),
    (dict(lr="nan"), "learning rate"),  # JSON has no NaN: a client sends it as text
    (dict(batch=0), "batch size"),
    (dict(batch=10**6), "batch size"),
    (dict(code="nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(2704, 10))"), "does not fit"),
    (dict(code="nn.Sequential(nn.Flatten(), nn.Linear(784, 5))"), "10 classes"),
])
def test_bad_input_gets_a_clear_error(client: Client, kwargs: dict, match: str) -> None:
    with pytest.raises(Exception, match=match):
        client.predict(*train_args(**kwargs), api_name="/train")


@pytest.mark.parametrize("seconds", [0, -5, 1e9])
def test_bad_time_limit(client: Client, seconds: float) -> None:
    with pytest.raises(Exception, match="time limit"):
        client.predict(*train_args()[:-1], seconds, api_name="/train")


def test_transfer_refuses_bad_input(client: Client) -> None:
    with pytest.raises(Exception, match="at most 32"):
        client.predict("MNIST digits as 3x32x32", 5, 64, 1e-3, api_name="/transfer")
    with pytest.raises(Exception, match="learning rate"):
        client.predict("MNIST digits as 3x32x32", 5, 16, 0, api_name="/transfer")
    assert client.predict(api_name="/stop_transfer") == "Nothing is training in this session."


def test_stop_twice_and_second_start_refused(app_url: str) -> None:
    c = Client(app_url, verbose=False)
    job = c.submit(*train_args(steps=3000), api_name="/train")
    wait_for_step(job, 2)
    with pytest.raises(Exception, match="already running"):
        c.predict(*train_args(steps=10), api_name="/train")
    asked = time.monotonic()
    assert "Stopping" in c.predict(api_name="/stop")
    assert c.predict(api_name="/stop") in ("Already stopping…", "Nothing is training in this session.")
    final = job.result(timeout=60)
    assert progress_of(final)["status"] == "stopped"
    assert progress_of(final)["step"] < 3000
    assert "Test accuracy" in final[4]  # what was learned is kept and evaluated
    assert time.monotonic() - asked < 30
    assert c.predict(api_name="/stop") == "Nothing is training in this session."


def test_two_sessions_are_isolated(app_url: str) -> None:
    a, b, fresh = (Client(app_url, verbose=False) for _ in range(3))
    results: dict[str, list] = {}

    def go(name: str, c: Client, seed: int, steps: int) -> None:
        job = c.submit(*train_args(steps=steps, seed=seed), api_name="/train")
        results[name] = [progress_of(o) for o in job] + [job.outputs()[-1]]

    ta = threading.Thread(target=go, args=("a", a, 1, 80))
    tb = threading.Thread(target=go, args=("b", b, 2, 130))
    ta.start()
    tb.start()
    time.sleep(1.0)
    assert fresh.predict(api_name="/stop") == "Nothing is training in this session."
    ta.join(120)
    tb.join(120)
    assert {u["total_steps"] for u in results["a"][:-1] if u} == {80}
    assert {u["total_steps"] for u in results["b"][:-1] if u} == {130}
    assert results["a"][-2]["status"] == results["b"][-2]["status"] == "done"  # fresh's stop hit neither
    wa = torch.load(next(f for f in results["a"][-1][10] if str(f).endswith(".pt")), weights_only=True)
    wb = torch.load(next(f for f in results["b"][-1][10] if str(f).endswith(".pt")), weights_only=True)
    assert not torch.equal(wa["0.weight"], wb["0.weight"])
    img_a, cap_a = a.predict(0, 0, api_name="/checkpoint")  # each session has its own
    img_b, cap_b = b.predict(0, 0, api_name="/checkpoint")
    assert img_a and img_b and "step 0" in cap_a and "step 0" in cap_b
    with pytest.raises(Exception, match="train a network first"):
        fresh.predict(0, 0, api_name="/checkpoint")


def test_augment_endpoint_is_seeded(client: Client) -> None:
    from gradio_client import handle_file

    img = handle_file(client.predict("house", api_name="/augment_sample"))
    args = (img, 64, 4, 0.5, True, False, 15, 0.1, 0.1, 5, 0.3, 1.0, "ImageNet", 6)
    g1, code1, stats1 = client.predict(*args, 3, api_name="/augment")
    g2, code2, _ = client.predict(*args, 3, api_name="/augment")
    import numpy as np
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(g1)), np.asarray(Image.open(g2)))
    assert "torch.manual_seed(3)" in code1 and "RandomResizedCrop(64" in code1
    assert "x' = (x - mean) / std" in stats1
    with pytest.raises(Exception, match="upload an image"):
        client.predict(None, *args[1:], 3, api_name="/augment")
