"""The deployment's job queue (gen_core.jobs): order, ownership, each visitor's share, the time limit, cancel, and
durability across a worker's death, on SQLite and on Redis.

The rules are tested in this process (jobs run by `JobQueue.run`, as the worker's task does, with GENLAB_WORKER=
external so no worker starts); the worker tests start `python -m gen_core.job_worker` for real and kill it."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gen_core import jobs
from gen_core.errors import GenLabError
from gen_core.shared_store import RedisStore, SqliteStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(home, monkeypatch):
    monkeypatch.setenv("GENLAB_WORKER", "external")  # the tests below run each job themselves
    ran = []

    def counting(spec, progress):
        for step in range(1, spec["steps"] + 1):
            progress.report(step, spec["steps"], {"loss": 1.0 / step})
            if spec.get("sleep"):
                time.sleep(spec["sleep"])
        ran.append(spec["tag"])
        return spec["tag"]
    monkeypatch.setitem(jobs.RUNNERS, "count", counting)
    q = jobs.JobQueue()
    q.ran = ran
    return q


def spec(tag, steps=20, sleep=0.0):
    return {"tag": tag, "steps": steps, "sleep": sleep}


def test_jobs_run_in_order_and_report_progress(queue):
    first = queue.submit("first", "count", spec("a"), owner="alice")
    second = queue.submit("second", "count", spec("b"), owner="bob")
    assert [j.id for j in queue.jobs()] == [first.id, second.id] and queue.position(queue.get(second.id)) == 1
    assert queue.run(first.id).status == jobs.DONE and queue.run(second.id).status == jobs.DONE
    assert queue.ran == ["a", "b"]
    done = queue.get(first.id)  # what another process reads back from the store
    assert done.result == "a" and done.history["step"][-1] == 20 and done.history["loss"][-1] == pytest.approx(0.05)
    assert done.fraction == 1.0 and done.worker.startswith(socket.gethostname())


def test_only_the_owner_or_the_teacher_may_cancel(queue):
    job = queue.submit("alice's", "count", spec("a"), owner="alice")
    assert not queue.cancel(job.id, "bob") and queue.get(job.id).status == jobs.QUEUED
    assert queue.cancel(job.id, "alice") and queue.get(job.id).status == jobs.CANCELLED
    other = queue.submit("bob's", "count", spec("b"), owner="bob")
    assert queue.cancel(other.id, jobs.TEACHER) and queue.get(other.id).status == jobs.CANCELLED
    assert queue.run(job.id).status == jobs.CANCELLED and queue.ran == []  # a cancelled job never starts


def test_a_visitor_has_one_running_and_two_waiting_jobs_at_most(queue):
    first = queue.submit("1", "count", spec("1"), owner="alice")
    queue.submit("2", "count", spec("2"), owner="alice")
    with pytest.raises(GenLabError, match="2 jobs waiting already"):
        queue.submit("3", "count", spec("3"), owner="alice")
    queue.submit("bob's", "count", spec("b"), owner="bob")  # another visitor's share is their own
    job = queue.get(first.id)
    job.status = jobs.RUNNING  # the first one starts: one running, one waiting, room for one more
    queue.save(job)
    queue.submit("3", "count", spec("3"), owner="alice")
    with pytest.raises(GenLabError, match="waiting already"):
        queue.submit("4", "count", spec("4"), owner="alice")
    for n in range(5):  # the teacher has no share to fill
        queue.submit(f"t{n}", "count", spec(f"t{n}"), owner=jobs.TEACHER)


def test_a_running_job_stops_after_its_step_when_cancelled(queue, monkeypatch):
    monkeypatch.setattr(jobs, "WRITE_EVERY_S", 0.0)
    job = queue.submit("endless", "count", spec("e", steps=10 ** 6), owner="alice")

    def cancel_at_five(spec, progress):
        for step in range(1, 10 ** 6):
            progress.report(step, 10 ** 6, {"loss": 1.0})
            if step == 5:
                assert queue.cancel(job.id, "alice")
        return "never"
    monkeypatch.setitem(jobs.RUNNERS, "count", cancel_at_five)
    ended = queue.run(job.id)
    assert ended.status == jobs.CANCELLED and ended.step == 6 and "nothing was saved" in ended.message


def test_a_job_stops_at_the_teachers_time_limit(queue, monkeypatch):
    monkeypatch.setattr(jobs, "WRITE_EVERY_S", 0.0)
    with pytest.raises(GenLabError, match="1 to 1440 minutes"):
        queue.set_job_minutes(0)
    queue.set_job_minutes(1)
    job = queue.submit("long", "count", spec("l", steps=10 ** 6), owner="alice")
    assert job.limit_s == 60
    job.limit_s = 0.2  # the limit a job carries is the one set when it was queued: shortened here to test it
    queue.save(job)
    ended = queue.run(job.id)
    assert ended.status == jobs.CANCELLED and "time limit" in ended.message and 0 < ended.step < 10 ** 6


def test_a_failing_job_is_one_line_and_the_queue_goes_on(queue, monkeypatch):
    def failing(spec, progress):
        raise GenLabError("no such data")
    monkeypatch.setitem(jobs.RUNNERS, "fail", failing)
    bad = queue.submit("bad", "fail", {}, owner="alice")
    good = queue.submit("good", "count", spec("g"), owner="alice")
    assert queue.run(bad.id).error == "no such data" and queue.get(bad.id).status == jobs.FAILED
    assert queue.run(good.id).status == jobs.DONE


def test_a_job_left_running_by_a_dead_worker_is_marked_interrupted(queue):
    job = queue.submit("orphan", "count", spec("o"), owner="alice")
    job.status, job.worker = jobs.RUNNING, f"{socket.gethostname()}:999999"
    queue.save(job)
    elsewhere = queue.submit("on another machine", "count", spec("x"), owner="bob")
    elsewhere.status, elsewhere.worker = jobs.RUNNING, "another-host:1"
    queue.save(elsewhere)
    assert queue.interrupt_orphans() == [job.id]
    assert queue.get(job.id).status == jobs.INTERRUPTED and "interrupted" in queue.get(job.id).message
    assert queue.get(elsewhere.id).status == jobs.RUNNING


def test_the_store_keeps_fields_apart_and_counts(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    assert [store.increment("n") for _ in range(3)] == [1, 2, 3]
    store.put_field("m", "a", {"x": 1})
    SqliteStore(tmp_path / "s.db").put_field("m", "b", [1, 2])  # another process's connection
    assert store.fields("m") == {"a": {"x": 1}, "b": [1, 2]} and store.get("missing", 7) == 7
    store.drop("m")
    assert store.fields("m") == {}


# --- the worker process ---------------------------------------------------------------------------------------

TINY = dict(family="vae", dataset="digits", seed=0, device="cpu", overrides={}, snapshots=0, command="")


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gen_core.job_worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, seconds=120.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def worker_env(home: Path, **extra) -> dict:
    return {**os.environ, "GENLAB_HOME": str(home), "GENLAB_WORKER": "external", "GENLAB_WORKER_THREADS": "1",
            "GENLAB_OFFLINE": "1", **extra}


def test_a_job_survives_the_workers_death(home, monkeypatch):
    """kill -9 the worker while it trains: that job is reported interrupted, the queued one runs on the next
    worker, and a second worker on the same machine refuses to start beside a live one."""
    monkeypatch.setenv("GENLAB_WORKER", "external")
    queue = jobs.JobQueue()
    long = queue.submit("long", "train", {**TINY, "epochs": 500, "out": str(home / "checkpoints" / "long")}, "alice")
    short = queue.submit("short", "train", {**TINY, "epochs": 1, "out": str(home / "checkpoints" / "short")}, "alice")
    env = worker_env(home)
    worker = start_worker(env)
    try:
        wait_for(lambda: queue.get(long.id).step > 0)
        second = start_worker(env)
        assert second.wait(timeout=60) == 0 and "already runs" in second.stdout.read()
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert queue.get(long.id).status == jobs.RUNNING and queue.get(short.id).status == jobs.QUEUED
        worker = start_worker(env)
        done = wait_for(lambda: (j := queue.get(short.id)).status == jobs.DONE and j)
        assert queue.get(long.id).status == jobs.INTERRUPTED
        assert Path(done.result["path"]).name == "short" and done.result["card"]["family"] == "vae"
        assert not (home / "checkpoints" / "long").exists()
    finally:
        worker.kill()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs Debian's redis-server")
def test_the_same_job_runs_through_redis(tmp_path, home, monkeypatch):
    with socket.socket() as probe:  # a free port on the loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setenv("GENLAB_REDIS_URL", url)
    monkeypatch.setenv("GENLAB_WORKER", "external")
    worker = None
    try:
        store = RedisStore(url)
        wait_for(lambda: _answers(store), 20)
        queue = jobs.JobQueue()
        assert isinstance(queue.store, RedisStore)
        job = queue.submit("via redis", "train", {**TINY, "epochs": 1, "out": str(home / "checkpoints" / "r")}, "al")
        worker = start_worker(worker_env(home, GENLAB_REDIS_URL=url))
        done = wait_for(lambda: (j := queue.get(job.id)).status == jobs.DONE and j)
        assert done.history["step"] and Path(done.result["path"]).is_dir()
        assert not (home / "genlab.db").exists()  # nothing went to SQLite
    finally:
        if worker is not None:
            worker.kill()
        redis.terminate()
        redis.wait()


def _answers(store) -> bool:
    try:
        store.put("ping", 1)
        return True
    except Exception:  # noqa: BLE001 - not listening yet
        return False
