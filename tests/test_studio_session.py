"""The training thread owns the session's ``running`` flag and one of the server's training slots.

REGRESSION (issue 8 fuzz): closing ``/transfer`` or ``/train`` (a client that disconnects) used to
clear ``sess.running`` while the training thread was still stepping, so the same session could
start another, and another: six ResNet trainings ran at once and the process grew by 1.8 GB.
"""

from __future__ import annotations

import threading
import time

import pytest

from playground import limits
from playground.studio import presets, session
from playground.studio.loop import TrainSettings

TINY = ("nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.Flatten(), "
        "nn.Linear(676, 10))")


def _start(sess: session.StudioSession, steps: int = 3000, network: str = presets.CUSTOM,
           batch: int = 32):  # noqa: ANN202 - a generator
    settings = TrainSettings(lr=3e-3, batch_size=batch, steps=steps)
    gen = session.live_training(sess, network, TINY, "MNIST", settings)
    first = next(gen)  # the thread is running now
    return gen, first


def _training_threads() -> int:
    return sum(t.name == "studio-training" and t.is_alive() for t in threading.enumerate())


def _wait_idle(timeout: float = 20.0) -> float:
    t0 = time.monotonic()
    while _training_threads() and time.monotonic() - t0 < timeout:
        time.sleep(0.05)
    return time.monotonic() - t0


def test_closed_stream_keeps_session_busy_until_the_thread_stops() -> None:
    _wait_idle()
    sess = session.new_session()
    gen, _ = _start(sess)
    gen.close()  # what Gradio does when the browser tab goes away
    assert sess.cancelled and sess.stop_requested
    if _training_threads():  # still finishing its step: the session must still say so
        assert sess.running
        with pytest.raises(ValueError, match="already running"):
            _start(sess)
    waited = _wait_idle()
    assert _training_threads() == 0, "the cancelled training did not stop"
    assert waited < 10
    assert not sess.running and sess.results is None  # cancelled: no final test evaluation
    gen, _ = _start(sess, steps=5)  # the session is free again
    for _ in gen:
        pass
    assert not sess.running and sess.results is not None


def test_server_wide_training_slots_are_held_by_threads() -> None:
    """MAX_CONCURRENT_TRAININGS threads at most, all sessions together; a closed stream's thread
    still holds its slot until it has stopped."""
    _wait_idle()
    sessions = [session.new_session() for _ in range(limits.MAX_CONCURRENT_TRAININGS + 1)]
    # LeNet-5 at batch 256 for 3,000 steps: a minute, far longer than SLOT_WAIT_S, even on an idle
    # CPU (3,000 steps of the tiny net took ~3 s in a clean CI run and freed a slot in time)
    gens = [_start(s, network="LeNet-5", batch=256)[0] for s in sessions[:-1]]
    try:
        t0 = time.monotonic()
        with pytest.raises(ValueError, match=r"maximum of \d+ trainings"):
            _start(sessions[-1], steps=5)
        assert time.monotonic() - t0 >= session.SLOT_WAIT_S * 0.9  # it waited for a slot first
        assert _training_threads() == limits.MAX_CONCURRENT_TRAININGS
        assert not sessions[-1].running  # the refused session is not left marked busy
    finally:
        for g in gens:
            g.close()
    extra, _ = _start(sessions[-1], steps=5)  # waits until a closed one's thread gives its slot back
    for _ in extra:
        pass
    _wait_idle()
    assert _training_threads() == 0


def test_two_requests_of_one_session_start_one_training() -> None:
    """REGRESSION: the "already running?" check and the claim were two steps, so two concurrent
    /train requests of one session both started (seen with four gradio_client threads)."""
    _wait_idle()
    sess = session.new_session()
    barrier = threading.Barrier(4)
    started, refused = [], []

    def go() -> None:
        barrier.wait()
        try:
            started.append(_start(sess)[0])
        except ValueError as e:
            refused.append(str(e))

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert len(started) == 1, f"{len(started)} trainings started in one session"
        assert len(refused) == 3 and all("already running" in r for r in refused)
    finally:
        for g in started:
            g.close()
    _wait_idle()
    assert not sess.running


def test_a_refused_start_leaves_the_session_idle() -> None:
    sess = session.new_session()
    bad = TrainSettings(lr=3e-3, batch_size=32, steps=5)
    with pytest.raises(ValueError):
        next(session.live_training(sess, "no such network", TINY, "MNIST", bad))
    assert not sess.running
