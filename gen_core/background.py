"""Work done ahead of time on a thread that never slows anyone waiting now.

On Linux a thread is a task with its own nice value, which only that thread takes: at nice 19 the kernel gives it
the cores only when the visitors' script runs (nice 0) leave them idle (CFS weights 15 against 1024). Used for the
server's start-up warming (ui.warmup) and for what a button will show next (ui.lab_cache.ahead)."""
from __future__ import annotations

import os
import threading
from typing import Callable

LOWEST = 19


def lower_this_thread() -> None:
    """This thread (only) to the lowest CPU priority; nothing where the platform has no per-thread nice."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST)
    except (AttributeError, OSError):
        pass


def start_low(target: Callable[[], object], name: str) -> threading.Thread:
    """target() on a daemon thread at the lowest CPU priority."""
    def run():
        lower_this_thread()
        target()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
