"""The job worker: one process per machine that runs the deployment's queued jobs, one at a time.

    python -m gen_core.job_worker            # a deployment's own worker (then set GENLAB_WORKER=external)

A lone `streamlit run app.py` starts one itself (gen_core.jobs.ensure_worker) with --parent, and that one exits once
its server is gone and nothing runs. The worker holds $GENLAB_HOME/worker.lock while it lives (a second one exits at
once), marks the jobs a dead worker of this machine left RUNNING as interrupted, and then takes tasks from the huey
queue (gen_core.jobs.task_queue). Its torch gets GENLAB_WORKER_THREADS threads (default: half the cores), so a
training leaves the servers cores to answer pages with.

A training runs `python -m gen_core.train`'s own path (gen_core.train.train_and_save); an evaluation runs
gen_core.evaluate's, with the class report where a reference classifier has the labels.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

from gen_core import jobs
from gen_core.errors import GenLabError


def run_training(spec: dict, progress: jobs.Progress) -> dict:
    from gen_core.train import train_and_save

    path, card, _ = train_and_save(spec["family"], spec["dataset"], data_root=spec.get("data_root"),
                                   epochs=int(spec["epochs"]), seed=int(spec["seed"]), device=spec.get("device"),
                                   out=spec["out"], overrides=dict(spec.get("overrides", {})),
                                   snapshots=int(spec.get("snapshots", 0)), command=spec.get("command", ""),
                                   callback=progress.report)
    return {"path": str(path), "card": card}


def run_evaluation(spec: dict, progress: jobs.Progress) -> list[dict]:
    from gen_core import evaluate as E
    from gen_core.core import InferenceCore

    core = InferenceCore(spec.get("device") or "cpu")
    names, settings = list(spec["names"]), E.Settings(int(spec["samples"]), int(spec["train_samples"]))
    rows = []
    for i, name in enumerate(names):
        def say(message, i=i):
            progress.say(f"{i + 1}/{len(names)}: {message}", step=i, total=len(names))
        say("starting")
        try:
            row = E.evaluate(core, name, settings, progress=say)
            if row.get("features", "").startswith("reference CNN"):  # real data with a shipped reference
                say("class by class")
                row["class_report"] = E.class_report(core, name, min(1000, settings.metric_samples))
            rows.append(row)
        except GenLabError as error:
            rows.append({"checkpoint": name, "error": str(error)})
    progress.say("finished", step=len(names), total=len(names))
    return rows


jobs.RUNNERS.update(train=run_training, evaluate=run_evaluation)


def worker_threads() -> int:
    raw = os.environ.get("GENLAB_WORKER_THREADS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else max(1, (os.cpu_count() or 2) // 2)


def watch_parent(parent: int, consumer) -> None:
    """Exit once the server that started this worker is gone and no job runs (a running one finishes first)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        busy = any(j.status == jobs.RUNNING and j.worker == jobs.worker_name() for j in jobs.JobQueue().jobs())
        if not busy:
            print("gen_core.job_worker: the server that started this worker is gone; exiting", flush=True)
            os._exit(0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gen_core.job_worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--parent", type=int, help="exit once this process is gone and nothing runs")
    args = parser.parse_args(argv)
    lock = jobs.take_worker_lock()
    if lock is None:
        print("gen_core.job_worker: a worker already runs on this machine", flush=True)
        return 0
    import torch
    torch.set_num_threads(worker_threads())
    queue = jobs.JobQueue()
    for job_id in queue.interrupt_orphans():
        print(f"gen_core.job_worker: job #{job_id} was running when its worker stopped: marked interrupted",
              flush=True)
    consumer = queue.tasks.huey.create_consumer(workers=1, worker_type="thread", periodic=False,
                                                 initial_delay=0.1, backoff=1.15, max_delay=0.5,
                                                 check_worker_health=False)
    if args.parent:
        threading.Thread(target=watch_parent, args=(args.parent, consumer), daemon=True).start()
    print(f"gen_core.job_worker {jobs.worker_name()}: {queue.store!r}, torch threads {torch.get_num_threads()}",
          flush=True)
    consumer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
