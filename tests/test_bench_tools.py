"""The benchmark helpers that are not timings: load.py's pooled connections, drawn_digits' options."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.drawn_digits import parse_radii  # noqa: E402
from bench.load import PooledHttpx, parse_env, parse_think  # noqa: E402


def test_pooled_httpx_sends_gradio_clients_calls_through_one_client() -> None:
    seen: list[tuple[str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.read()))
        return httpx.Response(200, json=["/tmp/gradio/x.png"])

    shim = PooledHttpx(max_connections=4, transport=httpx.MockTransport(handler))
    # the keyword arguments gradio_client passes to the module-level functions
    r = shim.post("http://h/gradio_api/upload", headers={}, cookies={}, verify=True, timeout=120,
                  files=[("files", ("a.png", b"PNG"))])
    assert r.json() == ["/tmp/gradio/x.png"]
    with shim.stream("GET", "http://h/gradio_api/file=x.png", headers={}, cookies=None, verify=False,
                     follow_redirects=True) as resp:
        assert resp.status_code == 200 and resp.read()
    assert shim.get("http://h/config", verify=True).status_code == 200
    assert [m for m, _, _ in seen] == ["POST", "GET", "GET"] and b"PNG" in seen[0][2]
    with shim.Client(verify=True, timeout=None) as c:  # gradio_client's event-stream client
        with c.stream("GET", "http://h/gradio_api/queue/data", params={"session_hash": "s"}, headers={},
                      cookies={}) as resp:
            assert resp.status_code == 200
    assert seen[-1][:2] == ("GET", "http://h/gradio_api/queue/data?session_hash=s")
    assert shim.get("http://h/after-exit").status_code == 200  # leaving the block kept the pool open
    assert shim.Timeout is httpx.Timeout and shim.HTTPStatusError is httpx.HTTPStatusError
    shim.close()


def test_parse_radii() -> None:
    assert parse_radii("7, 10,14") == [7, 10, 14]
    for bad in ("", "a", "0", "7,41", "1.5"):
        with pytest.raises(SystemExit, match="brush-radii"):
            parse_radii(bad)


def test_parse_think_and_app_env() -> None:
    assert parse_think("0.5,2") == (0.5, 2.0) and parse_think("3, 3") == (3.0, 3.0)
    for bad in ("1", "2,1", "-1,2", "1,601", "a,b"):
        with pytest.raises(ValueError):
            parse_think(bad)
    assert parse_env(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    for bad in (["A"], ["=1"]):
        with pytest.raises(ValueError, match="KEY=VALUE"):
            parse_env(bad)
