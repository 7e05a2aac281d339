"""Slow work started once per server process and picked up by whichever rerun finds it finished, so a page
never waits on it (UMAP's first fit compiles for 15-35 s)."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st


@st.cache_resource(show_spinner=False)
def _jobs() -> tuple[ThreadPoolExecutor, dict[str, Future]]:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="genlab-background"), {}


def start_once(key: str, fn, *args) -> Future:
    """The future for `key`, submitting fn(*args) the first time the key is seen in this process. A job that
    failed is started again on the next call."""
    pool, jobs = _jobs()
    job = jobs.get(key)
    if job is None or (job.done() and job.exception() is not None):
        job = jobs[key] = pool.submit(fn, *args)
    return job
