"""One queue of long jobs per server process (training, evaluation), run one at a time in a background thread.

Two trainings on a small machine slow each other badly (two torch processes on 2 cores: up to 100x), so the
server runs one job at a time and shows the rest as queued. A job outlives the page that started it: its progress,
its loss history and its result live here, not in a session, so a visitor can switch pages and come back. Cancel
sets a flag the job's callback checks after every step; the training then stops and saves nothing.
"""
from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from gen_core.errors import GenLabError

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
HISTORY_POINTS = 400  # loss points kept per job for the live chart (every k-th step beyond that)


class Cancelled(Exception):
    """Raised inside a job's callback when its cancel flag is set."""


@dataclass
class Job:
    id: int
    title: str
    kind: str                                  # "train" or "evaluate"
    work: Callable[["Job"], object]            # called in the worker thread with the job itself
    status: str = QUEUED
    step: int = 0
    total: int = 0
    message: str = "waiting for the jobs before it"
    history: dict[str, list[float]] = field(default_factory=lambda: {"step": []})
    result: object = None
    error: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    def report(self, step: int, total: int, metrics: dict) -> None:
        """A training callback: progress, a thinned loss history, and the cancel check."""
        if self.cancel_requested.is_set():
            raise Cancelled()
        self.step, self.total = step, total
        stride = max(1, total // HISTORY_POINTS)
        if step % stride == 0 or step == total:
            self.history["step"].append(step)
            for key, value in metrics.items():
                self.history.setdefault(key, []).append(float(value))
        self.message = "trained, evaluating the model" if step == total else f"step {step} of {total}"

    def check_cancelled(self) -> None:
        if self.cancel_requested.is_set():
            raise Cancelled()


class JobQueue:
    """FIFO jobs, one worker thread, started on the first submit."""

    def __init__(self, keep: int = 50):
        self._jobs: deque[Job] = deque(maxlen=keep)   # newest last; finished ones drop off the front
        self._pending: deque[Job] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None

    def submit(self, title: str, kind: str, work: Callable[[Job], object]) -> Job:
        with self._lock:
            job = Job(next(self._ids), title, kind, work)
            self._jobs.append(job)
            self._pending.append(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="genlab-jobs", daemon=True)
                self._worker.start()
            self._wake.notify()
        return job

    def cancel(self, job_id: int) -> bool:
        """Cancel a queued job at once, or ask a running one to stop after its current step."""
        with self._lock:
            job = self.get(job_id, locked=True)
            if job is None or not job.active:
                return False
            job.cancel_requested.set()
            if job.status == QUEUED:
                self._pending.remove(job)
                job.status, job.message, job.finished = CANCELLED, "cancelled before it started", time.time()
            else:
                job.message = "cancelling after this step"
            return True

    def get(self, job_id: int, locked: bool = False) -> Job | None:
        if not locked:
            with self._lock:
                return self.get(job_id, locked=True)
        return next((j for j in self._jobs if j.id == job_id), None)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs)

    def position(self, job: Job) -> int:
        """How many jobs run or wait before this one (0: it is running or finished)."""
        with self._lock:
            if job not in self._pending:
                return 0
            running = any(j.status == RUNNING for j in self._jobs)
            return list(self._pending).index(job) + int(running)

    def wait(self, job: Job, timeout: float = 60.0) -> Job:
        """Block until the job finishes (tests and scripts; pages poll instead)."""
        deadline = time.time() + timeout
        while job.active and time.time() < deadline:
            time.sleep(0.05)
        return job

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._wake.wait()
                job = self._pending.popleft()
                job.status, job.started, job.message = RUNNING, time.time(), "starting"
            try:
                job.result = job.work(job)
                job.status, job.message = DONE, "finished"
            except Cancelled:
                job.status, job.message = CANCELLED, "cancelled: nothing was saved"
            except GenLabError as error:
                job.status, job.error, job.message = FAILED, str(error), "failed"
            except Exception as error:  # noqa: BLE001 - one job's bug must not stop the queue for everyone
                job.status, job.message = FAILED, "failed"
                job.error = f"{type(error).__name__}: {error}"
                traceback.print_exc()
            job.finished = time.time()
