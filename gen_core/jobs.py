"""One durable training queue for a whole deployment: every replica submits, one worker process runs, all see.

Jobs (training, evaluation) are records in the deployment's shared store (gen_core.shared_store: SQLite in
$GENLAB_HOME, or Redis) and tasks in a huey queue on the same backend (`queue.db` beside it, or the same Redis).
A worker process (`python -m gen_core.job_worker`, started by the first server that needs one) runs them one at a
time: two trainings on a small machine slow each other badly (two torch processes on 2 cores: up to 100x), and a
training never runs inside a Streamlit server, where it would take the cores from every visitor's page.

What a class needs of it, and where it is decided here:
- durable: a queued job waits in the queue's file and runs after a restart; a job the worker was running when it
  died is marked INTERRUPTED by the next worker (`interrupt_orphans`), never silently lost;
- owned: a job records the visitor that queued it (an opaque id from the browser's cookie); only that visitor or
  the teacher may cancel it (`cancel`);
- fair: a visitor has at most MAX_RUNNING running and MAX_QUEUED waiting jobs, and every job stops at the
  teacher's time limit (`class_limits`); a refused submit raises GenLabError with one line saying why.
Cancel and the time limit are checked by the job's own progress callback (`Progress`), after a training step.
"""
from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from gen_core.data.dataset import genlab_home
from gen_core.errors import GenLabError
from gen_core.shared_store import redis_url, shared_store

QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = "queued", "running", "done", "failed", "cancelled", \
    "interrupted"
ACTIVE = (QUEUED, RUNNING)
HISTORY_POINTS = 400       # loss points kept per job for the live chart (every k-th step beyond that)
MAX_RUNNING, MAX_QUEUED = 1, 2                 # per visitor (README, "Serving a class")
DEFAULT_JOB_MINUTES = 20                      # per job, until the teacher sets another limit
WRITE_EVERY_S = 0.5        # a running job's progress reaches the store at most this often (and at its end)
JOBS, CANCELS, SETTINGS = "jobs", "job_cancel", "class_settings"
TASK_NAME = "genlab.run_job"
TEACHER = "teacher"        # the owner name of jobs the teacher queues

# kind -> function(spec, progress) -> JSON-able result; filled by gen_core.job_worker in the worker process
RUNNERS: dict[str, Callable[[dict, "Progress"], object]] = {}


class Cancelled(Exception):
    """Raised inside a job's callback when its cancel flag is set."""


class OverTime(Exception):
    """Raised inside a job's callback when the job has run past its time limit."""


@dataclass
class Job:
    id: int
    title: str
    kind: str                                  # "train" or "evaluate"
    owner: str                                 # opaque visitor id, or TEACHER
    spec: dict                                 # what the worker runs (gen_core.job_worker)
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
    limit_s: float = DEFAULT_JOB_MINUTES * 60
    worker: str = ""                           # host:pid of the worker that ran it

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Progress:
    """What a running job reports through: progress and a thinned loss history (`report`, the training callback),
    a status line (`say`), and the cancel and time-limit checks. Writes reach the store at most every
    WRITE_EVERY_S, so a fast training loop does not wait on the disk."""

    def __init__(self, queue: "JobQueue", job: Job):
        self.queue, self.job = queue, job
        self._written = self._checked = 0.0

    def check(self) -> None:
        now = time.time()
        if now - self._checked < WRITE_EVERY_S:
            return
        self._checked = now
        if self.queue.cancel_requested(self.job.id):
            raise Cancelled()
        if self.job.started and now - self.job.started > self.job.limit_s:
            raise OverTime()

    def report(self, step: int, total: int, metrics: dict) -> None:
        job = self.job
        job.step, job.total = step, total
        stride = max(1, total // HISTORY_POINTS)
        if step % stride == 0 or step == total:
            job.history["step"].append(step)
            for key, value in metrics.items():
                job.history.setdefault(key, []).append(float(value))
        job.message = "trained, evaluating the model" if step == total else f"step {step} of {total}"
        self.flush(force=step == total)
        self.check()

    def say(self, message: str, step: int | None = None, total: int | None = None) -> None:
        self.job.message = message
        if step is not None:
            self.job.step = step
        if total is not None:
            self.job.total = total
        self.flush()
        self.check()

    def flush(self, force: bool = False) -> None:
        if force or time.time() - self._written >= WRITE_EVERY_S:
            self._written = time.time()
            self.queue.save(self.job)


@dataclass(frozen=True)
class TaskQueue:
    huey: object                 # huey.Huey
    run_job: Callable            # the task: run_job(job_id) enqueues, the worker calls `execute`


@lru_cache(maxsize=8)
def _queue_for(home: str, url: str | None) -> TaskQueue:
    from huey import RedisHuey, SqliteHuey

    huey = (RedisHuey("genlab", url=url, results=False) if url else
            SqliteHuey("genlab", filename=str(Path(home) / "queue.db"), results=False))
    return TaskQueue(huey, huey.task(name=TASK_NAME)(execute))


def task_queue() -> TaskQueue:
    """This deployment's huey and its one task: Redis when GENLAB_REDIS_URL is set, else SQLite in $GENLAB_HOME."""
    home = genlab_home()
    home.mkdir(parents=True, exist_ok=True)
    return _queue_for(str(home), redis_url())


class JobQueue:
    """The client every server process and the worker use: submit, cancel, read; the jobs live in the store."""

    def __init__(self, store=None, tasks: TaskQueue | None = None):
        self.store = store or shared_store()
        self.tasks = tasks or task_queue()

    # --- reading ------------------------------------------------------------------------------------------
    def get(self, job_id) -> Job | None:
        record = self.store.get_field(JOBS, str(job_id))
        return Job(**record) if record else None

    def jobs(self) -> list[Job]:
        """Every job of the deployment, oldest first."""
        return sorted((Job(**r) for r in self.store.fields(JOBS).values()), key=lambda j: j.id)

    def save(self, job: Job) -> None:
        self.store.put_field(JOBS, str(job.id), asdict(job))

    def position(self, job: Job, every: list[Job] | None = None) -> int:
        """How many jobs run or wait before this one (0: it is running or finished); `every` is the list of jobs
        when the caller has just read it (a panel drawing many jobs reads the store once)."""
        if job.status != QUEUED:
            return 0
        every = self.jobs() if every is None else every
        return sum(1 for j in every if j.status == RUNNING or (j.status == QUEUED and j.id < job.id))

    def wait(self, job: Job | int, timeout: float = 60.0) -> Job:
        """Block until the job finishes (tests and scripts; pages poll instead)."""
        job_id = job if isinstance(job, int) else job.id
        deadline = time.time() + timeout
        while True:
            found = self.get(job_id)
            if not found.active or time.time() >= deadline:
                return found
            time.sleep(0.1)

    # --- the class's limits --------------------------------------------------------------------------------
    def job_minutes(self) -> float:
        return float(self.store.get_field(SETTINGS, "job_minutes", DEFAULT_JOB_MINUTES))

    def set_job_minutes(self, minutes: float) -> None:
        if not 1 <= minutes <= 24 * 60:
            raise GenLabError(f"the time limit must be 1 to 1440 minutes, not {minutes:g}")
        self.store.put_field(SETTINGS, "job_minutes", float(minutes))

    # --- submitting and cancelling -------------------------------------------------------------------------
    def submit(self, title: str, kind: str, spec: dict, owner: str) -> Job:
        """Queue a job for `owner`, within the visitor's share (the teacher has none: a lesson's demo never waits
        on a quota). Starts a worker if none runs."""
        if owner != TEACHER:
            mine = [j for j in self.jobs() if j.owner == owner and j.active]
            if sum(j.status == QUEUED for j in mine) >= MAX_QUEUED:
                raise GenLabError(f"you have {MAX_QUEUED} jobs waiting already (the most per visitor): wait for one "
                                  "to start, or cancel one")
            if len(mine) >= MAX_RUNNING + MAX_QUEUED:
                raise GenLabError(f"you have {len(mine)} jobs in the queue already (the most per visitor)")
        job = Job(self.store.increment("job_ids"), title, kind, owner, spec, limit_s=self.job_minutes() * 60)
        self.save(job)
        self.tasks.run_job(job.id)
        ensure_worker()
        return job

    def may_cancel(self, job: Job, who: str) -> bool:
        return job.active and (who == TEACHER or who == job.owner)

    def cancel(self, job_id: int, who: str) -> bool:
        """Cancel a queued job at once, or ask a running one to stop after its current step. Only its owner or the
        teacher may; returns whether the job was asked to stop."""
        job = self.get(job_id)
        if job is None or not self.may_cancel(job, who):
            return False
        self.store.put_field(CANCELS, str(job_id), True)
        if job.status == QUEUED:
            job.status, job.message, job.finished = CANCELLED, "cancelled before it started", time.time()
        else:
            job.message = "cancelling after this step"
        self.save(job)
        return True

    def cancel_requested(self, job_id: int) -> bool:
        return bool(self.store.get_field(CANCELS, str(job_id), False))

    # --- the worker's side -------------------------------------------------------------------------------------
    def interrupt_orphans(self, host: str | None = None) -> list[int]:
        """Jobs marked RUNNING by a worker of this host that is gone (the caller holds the host's worker lock, so no
        other worker of this host runs): they are INTERRUPTED, said in one line, never silently lost."""
        host = host or socket.gethostname()
        found = []
        for job in self.jobs():
            if job.status == RUNNING and job.worker.rsplit(":", 1)[0] == host:
                job.status, job.finished = INTERRUPTED, time.time()
                job.message = "interrupted: the worker stopped while it ran (a restart?); nothing was saved"
                self.save(job)
                found.append(job.id)
        return found

    def run(self, job_id: int) -> Job | None:
        """Run one job in this process (the worker's task), recording its end whatever happens."""
        job = self.get(job_id)
        if job is None or job.status != QUEUED or self.cancel_requested(job_id):
            return job
        job.status, job.started, job.message, job.worker = RUNNING, time.time(), "starting", worker_name()
        self.save(job)
        progress = Progress(self, job)
        try:
            runner = RUNNERS.get(job.kind)
            if runner is None:
                raise GenLabError(f"this worker cannot run {job.kind!r} jobs")
            job.result = runner(job.spec, progress)
            job.status, job.message = DONE, "finished"
        except Cancelled:
            job.status, job.message = CANCELLED, "cancelled: nothing was saved"
        except OverTime:
            job.status = CANCELLED
            job.message = f"stopped at the time limit of {job.limit_s / 60:g} min per job: nothing was saved"
        except GenLabError as error:
            job.status, job.error, job.message = FAILED, str(error), "failed"
        except Exception as error:  # noqa: BLE001 - one job's bug must not stop the queue for everyone
            job.status, job.message = FAILED, "failed"
            job.error = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        job.finished = time.time()
        self.save(job)
        return job


def execute(job_id: int) -> None:
    """The huey task: run a job of this deployment (in the worker process)."""
    JobQueue().run(job_id)


# --- the worker process: at most one per machine --------------------------------------------------------------

_last_spawn: dict[str, float] = {}  # $GENLAB_HOME -> when this process last started a worker for it


def worker_lock_path() -> Path:
    return genlab_home() / "worker.lock"


def take_worker_lock():
    """The machine's worker lock (an flock on $GENLAB_HOME/worker.lock, released when the process dies, even by
    kill -9), or None if another process holds it."""
    path = worker_lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(str(os.getpid()))  # for stop_worker
    handle.flush()
    return handle


def worker_running() -> bool:
    handle = take_worker_lock()
    if handle is None:
        return True
    handle.close()  # closing releases it
    return False


def stop_worker() -> bool:
    """Stop this machine's worker (SIGTERM: huey stops at once; a running job is then interrupted). Returns whether
    one was running."""
    if not worker_running():
        return False
    try:
        os.kill(int(worker_lock_path().read_text().strip()), 15)
    except (ValueError, OSError):
        return False
    return True


def ensure_worker() -> bool:
    """Start `python -m gen_core.job_worker` for this machine when none runs (what a lone `streamlit run app.py`
    relies on). The worker exits once its parent server is gone and it has nothing running. Returns whether one
    was started now."""
    home = str(genlab_home())
    if os.environ.get("GENLAB_WORKER") == "external" or worker_running() or time.time() - _last_spawn.get(home, 0) < 5:
        return False  # (one starting now has not taken the lock yet: give it 5 s)
    _last_spawn[home] = time.time()
    log = open(genlab_home() / "worker.log", "a")
    subprocess.Popen([sys.executable, "-m", "gen_core.job_worker", "--parent", str(os.getpid())],
                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                     cwd=Path(__file__).resolve().parent.parent)
    return True
