"""Two per-event costs of Gradio that ``bench/load.py`` found (issue 8), and what we do about them.

Both run while Gradio holds the GIL, and the event loop's share of it sets the server's ceiling.
``py-spy`` of the server under 60 users (``bench/load.py``, 2026-12-02) found:

1. **A session's first request builds the whole page's config again.** ``SessionState.__init__``
   calls ``config_for_block`` for each of the app's 479 blocks. Each call runs
   ``inspect.signature`` on the component's constructor. The result only serves
   ``/gradio_api/deep_link``, which this app never offers. That costs 25-56 ms per new session,
   *on the event loop*. When 60 students click at once, it stalls every other request for 1.5-3.4 s.
   :func:`install_lazy_session_config` gives each session a :class:`LazyConfigValues`: the same
   mapping, but each block's entry is computed the first time it is read.
   The same config was also rebuilt on the hot path: for every ``gr.update`` an event returns
   (``/layer_controls`` returns 21) and for the first value of each block a session sends or
   receives, ``config_for_block`` ran again, with ``api_info()`` building a pydantic JSON schema.
   That was 8 % of the server's GIL time under load (py-spy, 2026-12-04). Those updates are now
   recorded and applied when (if ever) the entry is read.
2. **After every event, the queue rebuilds a pandas summary of the last 10,000 events.** That is
   ``Queue.compute_analytics_summary``: a ``DataFrame``, a ``groupby`` and three percentiles per
   endpoint. It took 7 % of the server's busy CPU in a 60-second run, and its cost grows with the
   number of events kept. Only ``/monitoring/summary`` reads it, and the app launches with
   ``enable_monitoring=False`` (:func:`app.launch_kwargs`). :func:`skip_analytics_summary` stops
   the rebuild when monitoring is off.

Both patch Gradio internals. They are installed only on the Gradio version they were written
against (:data:`GRADIO_VERSION`, the pin in ``requirements.txt``); on any other version they do
nothing, and Gradio behaves as it always does. ``CNN_PLAYGROUND_GRADIO_SPEEDUPS=0`` switches
both off (Gradio's own behaviour, e.g. to compare with ``bench/load.py --app-env``).
"""

from __future__ import annotations

import datetime
import os
import sys
import warnings
from copy import copy
from typing import Any, Final, Iterator

import gradio as gr
from gradio import state_holder

GRADIO_VERSION: Final[str] = "6.31.0"
ENV_SWITCH: Final[str] = "CNN_PLAYGROUND_GRADIO_SPEEDUPS"
_state = {"lazy": False}


class LazyConfigValues(dict):
    """``SessionState.config_values`` (block id -> that block's config), filled on demand.

    Reading, ``in``, ``len`` and iteration behave as the eager dict does: every block known when
    the session started is a key. Its config is computed by ``config_for_block(id, [], block)``
    on the first read, from the block the session started with. Whole-mapping views
    (``items``/``values``/iteration) compute the missing entries first, in the original order.
    """

    def __init__(self, config_for_block: Any, blocks: dict[int, Any]) -> None:
        super().__init__()
        self._make = config_for_block
        self._pending: dict[int, Any] = dict(blocks)
        self._values: dict[int, Any] = {}  # a value set on a pending entry
        self._order: list[int] = list(blocks)

    def _fill(self, key: int) -> dict:
        value = self._make(key, [], self._pending.pop(key))
        if key in self._values and "props" in value:
            value["props"]["value"] = self._values.pop(key)
        self._values.pop(key, None)
        dict.__setitem__(self, key, value)
        return value

    def defer(self, key: int, block: Any) -> None:
        """``self[key] = config_for_block(key, [], block)``, computed when first read."""
        if dict.__contains__(self, key):
            dict.__delitem__(self, key)
        elif key not in self._pending:
            self._order.append(key)
        self._pending[key] = block
        self._values.pop(key, None)

    def set_value(self, key: int, value: Any) -> None:
        """``self[key]["props"]["value"] = value`` if the entry has props, without computing it."""
        if key in self._pending:
            self._values[key] = value
        elif "props" in self[key]:
            self[key]["props"]["value"] = value

    def _fill_all(self) -> None:
        for key in list(self._pending):
            self._fill(key)

    def __missing__(self, key: int) -> dict:
        if key in self._pending:
            return self._fill(key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._pending

    def __setitem__(self, key: int, value: dict) -> None:
        self._pending.pop(key, None)
        self._values.pop(key, None)
        if key not in self._order:
            self._order.append(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: int) -> None:
        if key in self._pending:
            del self._pending[key]
            self._values.pop(key, None)
        else:
            dict.__delitem__(self, key)
        self._order.remove(key)

    def get(self, key: int, default: Any = None) -> Any:
        return self[key] if key in self else default

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[int]:
        self._fill_all()
        return iter(list(self._order))

    def keys(self) -> list[int]:  # type: ignore[override]
        return list(self._order)

    def items(self) -> list[tuple[int, dict]]:  # type: ignore[override]
        self._fill_all()
        return [(k, dict.__getitem__(self, k)) for k in self._order]

    def values(self) -> list[dict]:  # type: ignore[override]
        return [v for _, v in self.items()]

    def __eq__(self, other: object) -> bool:
        return dict(self.items()) == (dict(other.items()) if isinstance(other, dict) else other)

    __hash__ = None  # type: ignore[assignment]


def _lazy_session_init(self: state_holder.SessionState, blocks: gr.Blocks) -> None:
    """Gradio 6.31's ``SessionState.__init__`` with ``config_values`` made lazy."""
    self.blocks_config = copy(blocks.default_config)
    self.config_values = LazyConfigValues(
        self.blocks_config.config_for_block,
        {k: v for k, v in self.blocks_config.blocks.items() if k in blocks.blocks})
    self.state_data = {}
    self._state_ttl = {}
    self.is_closed = False
    self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600


def _lazy_setitem(self: state_holder.SessionState, key: int, value: Any) -> None:
    """Gradio 6.31's ``SessionState.__setitem__``, the block's config deferred."""
    from gradio.components import State

    block = self.blocks_config.blocks.get(key)
    if isinstance(block, State):
        self._state_ttl[key] = (block.time_to_live, datetime.datetime.now())
        self.state_data[key] = value
    else:
        self.blocks_config.blocks[key] = value
    if block:
        self.config_values.defer(key, block)


def _lazy_update_config(self: state_holder.SessionState, key: int) -> None:
    """Gradio 6.31's ``SessionState._update_config``, the block's config deferred."""
    if self[key] is not None:
        self.config_values.defer(key, self[key])


def _lazy_update_value_in_config(self: state_holder.SessionState, key: int, value: Any) -> None:
    """Gradio 6.31's ``SessionState._update_value_in_config``, the block's config deferred."""
    if key not in self.config_values:
        self.config_values.defer(key, self.blocks_config.blocks[key])
    self.config_values.set_value(key, value)


_EAGER = {name: getattr(state_holder.SessionState, name)
          for name in ("__setitem__", "_update_config", "_update_value_in_config")}
_LAZY = {"__setitem__": _lazy_setitem, "_update_config": _lazy_update_config,
         "_update_value_in_config": _lazy_update_value_in_config}


def _dispatch(name: str) -> Any:
    """A ``SessionState`` method that defers the config when the session's ``config_values`` is a
    :class:`LazyConfigValues`, and runs Gradio's own code otherwise (a session made before
    :func:`install_lazy_session_config`)."""
    lazy, eager = _LAZY[name], _EAGER[name]

    def method(self: state_holder.SessionState, *args: Any) -> Any:
        return (lazy if isinstance(self.config_values, LazyConfigValues) else eager)(self, *args)

    method.__name__ = name
    method.__doc__ = lazy.__doc__
    return method


def supported() -> bool:
    """True if Gradio is the pinned version and ``CNN_PLAYGROUND_GRADIO_SPEEDUPS`` is not ``0``
    (warns on another version)."""
    if os.environ.get(ENV_SWITCH, "").strip() == "0":
        return False
    if gr.__version__ != GRADIO_VERSION:
        warnings.warn(f"gradio_speedups was written for Gradio {GRADIO_VERSION}, found {gr.__version__}: "
                      "not installed", RuntimeWarning, stacklevel=3)
        return False
    return True


def install_lazy_session_config() -> bool:
    """Make new sessions' ``config_values`` lazy (idempotent). True if installed."""
    if not _state["lazy"] and supported():
        state_holder.SessionState.__init__ = _lazy_session_init  # type: ignore[method-assign]
        for name in _LAZY:
            setattr(state_holder.SessionState, name, _dispatch(name))
        _state["lazy"] = True
    return _state["lazy"]


def skip_analytics_summary(demo: gr.Blocks) -> bool:
    """Stop ``demo``'s queue rebuilding its analytics summary after each event, unless monitoring
    is on (``enable_monitoring`` set after ``launch``). True if the rebuild is now off."""
    queue = getattr(demo, "_queue", None)
    if queue is None or demo.enable_monitoring or not supported():
        return False
    queue.ANAYLTICS_CACHE_FREQUENCY = sys.maxsize  # Gradio's spelling
    return True
