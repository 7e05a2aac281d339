"""Work ahead of time: at the lowest CPU priority, once per key (gen_core.background, ui.lab_cache.ahead)."""
import os
import threading

import pytest

from gen_core.background import LOWEST, start_low
from ui import lab_cache

linux_only = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread nice is Linux's")


@linux_only
def test_a_low_thread_takes_the_lowest_priority_and_leaves_the_caller_as_it_was():
    seen = {}
    start_low(lambda: seen.update(nice=os.getpriority(os.PRIO_PROCESS, threading.get_native_id())), "t").join()
    assert seen["nice"] == LOWEST
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < LOWEST


@linux_only
def test_work_ahead_runs_low_and_once_per_key_even_after_it_finished():
    runs, done = [], threading.Event()

    def compute():
        runs.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        done.set()

    key = ("test-ahead", os.getpid(), id(runs))
    assert lab_cache.ahead(key, compute)
    assert done.wait(60)
    for thread in [t for t in threading.enumerate() if t.name == "genlab-ahead"]:
        thread.join(60)
    assert not lab_cache.ahead(key, compute)  # done: the caches it filled answer the next run
    assert runs == [LOWEST]


def test_work_ahead_that_failed_is_tried_again_by_the_next_run():
    attempts = []

    def fails():
        attempts.append(1)
        raise RuntimeError("no model")

    key = ("test-ahead-fails", os.getpid(), id(attempts))
    for _ in range(2):
        assert lab_cache.ahead(key, fails)
        for thread in [t for t in threading.enumerate() if t.name == "genlab-ahead"]:
            thread.join(60)
    assert len(attempts) == 2
