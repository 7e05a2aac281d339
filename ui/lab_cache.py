"""One cached way to run per-page tensor work (gen_core/labs/) on the shared inference core.

    lab_call(lab.guidance_grid, device, name, Data(dataset_name), label, scales, n, seed, steps)

runs `lab.guidance_grid(core, name, dataset, label, ...)` on the one core for `device` (ui.loaders.core_on) and
keeps the result per function and plain inputs, for every session of the process, instead of a hand-written
`st.cache_data` wrapper per lab function. Arguments must be plain values (str, numbers, tuples); a dataset goes in
as `Data(name)` and reaches the function loaded (once per process, ui.loaders.get_dataset).
"""
from __future__ import annotations

import functools
import importlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from gen_core.background import start_low
from ui.loaders import core_on, get_dataset

ENTRIES = 128  # results kept, all lab functions together (least recently used go first)


@dataclass(frozen=True)
class Data:
    """A dataset by the name a checkpoint card gives it: hashed as its name, passed to the lab function loaded."""
    name: str


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def _run(module: str, qualname: str, device: str, args: tuple, kwargs: tuple):
    function = functools.reduce(getattr, qualname.split("."), importlib.import_module(module))
    loaded = [get_dataset(a.name) if isinstance(a, Data) else a for a in args]
    return function(core_on(device), *loaded, **dict(kwargs))


def lab_call(function: Callable, device: str, *args, **kwargs):
    """function(core on `device`, *args, **kwargs), cached on the function's name, the device and the inputs."""
    return _run(function.__module__, function.__qualname__, str(device), args, tuple(sorted(kwargs.items())))


_ahead: set[tuple] = set()  # work being done ahead of time, by its key
_done_ahead: OrderedDict[tuple, None] = OrderedDict()  # and done: a later run asks its caches, not a new thread
DONE_KEPT = 256
_ahead_lock = threading.Lock()


def ahead(key: tuple, compute: Callable[[], object]) -> bool:
    """Run compute() in a background thread, once per key, so what it caches (lab_call, st.cache_data) is there
    before anyone asks: what a button will show next (GAN Studio's New samples: the next seed's grid, for a whole
    class pressing it together). The thread runs at the lowest CPU priority (gen_core.background): thirty sessions
    pressing New samples at once made the next seed's work ahead compete with their own runs (p95 1.18 s for sixty
    on two replicas). Returns whether a thread started. Problems are left to whoever asks."""
    with _ahead_lock:
        if key in _ahead or key in _done_ahead:
            return False
        _ahead.add(key)

    def run():
        try:
            compute()
        except Exception:  # noqa: BLE001 - ahead of time only: the visitor who asks will see the problem
            return
        finally:
            with _ahead_lock:
                _ahead.discard(key)
        with _ahead_lock:
            _done_ahead[key] = None
            while len(_done_ahead) > DONE_KEPT:
                _done_ahead.popitem(last=False)

    start_low(run, "genlab-ahead")
    return True
