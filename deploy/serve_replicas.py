"""Serve GenLab from several processes behind HAProxy, so a class uses every core of the machine.

    python deploy/serve_replicas.py --replicas 2 --port 8500                 # this machine only: 127.0.0.1:8500
    python deploy/serve_replicas.py --replicas 2 --port 8500 --host 0.0.0.0  # a class: http://THIS-MACHINE:8500

One Streamlit process runs Python on one core at a time (bench/load.py: 30 sessions kept one process at 1.02
cores). This starts --replicas processes of `streamlit run app.py` on the loopback ports after --port, one job
worker (python -m gen_core.job_worker: the trainings of every replica, one at a time), and HAProxy (`apt-get install
haproxy`) on --host:--port in front of the replicas, with sticky sessions by cookie (deploy/haproxy.cfg.in). Every
replica warms up (ui/warmup.py) before HAProxy sends it visitors.

It then supervises: a replica, the worker or HAProxy that dies (a crash, kill -9) is started again on the same port
while the others keep serving; HAProxy retries a failed connection and redispatches a visitor whose replica is down,
so a reload finds a live one. Ctrl-C or SIGTERM stops them all. The teacher's key is printed at start
(gen_core.classroom). Needs: haproxy on the PATH.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.in"
LOOPBACK = "127.0.0.1"


def haproxy_config(front_port: int, replica_ports: list[int], host: str = LOOPBACK) -> str:
    servers = "\n".join(f"    server r{k + 1} {LOOPBACK}:{port} check inter 1s fall 2 rise 1 cookie r{k + 1}"
                        for k, port in enumerate(replica_ports))
    return (TEMPLATE.read_text().replace("@FRONT_HOST@", host).replace("@FRONT_PORT@", str(front_port))
            .replace("@SERVERS@", servers))


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


@dataclass
class Supervised:
    """One process the supervisor keeps alive: how to start it, and the live one."""
    name: str
    command: list[str]
    log: Path
    env: dict
    health: str | None = None          # a URL that answers once it serves
    process: subprocess.Popen | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=open(self.log, "a"),
                                        stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Deployment:
    """The replicas, the worker and HAProxy (last), started and kept alive."""

    def __init__(self, replicas: int, port: int, log_dir: Path, host: str = LOOPBACK):
        if not shutil.which("haproxy"):
            raise SystemExit("error: haproxy is not installed (apt-get install -y haproxy)")
        self.port, self.host, self.log_dir = port, host, log_dir
        self.ports = [port + 1 + k for k in range(replicas)]
        # each replica's torch gets its share of the cores (gen_core.device.server_threads), unless the caller chose;
        # the replicas leave the trainings to the one worker started here
        env = {"GENLAB_TORCH_THREADS": str(max(1, (os.cpu_count() or 1) // replicas)), **os.environ,
               "GENLAB_WORKER": "external"}
        self.replicas = [Supervised(f"replica {k + 1}", [sys.executable, "-m", "streamlit", "run", "app.py",
                                                         "--server.port", str(p), "--server.address", LOOPBACK,
                                                         "--server.headless", "true"],
                                    log_dir / f"replica{k + 1}.log", env, f"http://{LOOPBACK}:{p}/_stcore/health")
                         for k, p in enumerate(self.ports)]
        self.worker = Supervised("worker", [sys.executable, "-m", "gen_core.job_worker"], log_dir / "worker.log",
                                 {**env, "GENLAB_WORKER": ""})
        config = log_dir / "haproxy.cfg"
        config.write_text(haproxy_config(port, self.ports, host))
        self.haproxy = Supervised("haproxy", ["haproxy", "-db", "-f", str(config)], log_dir / "haproxy.log", env,
                                  f"http://{LOOPBACK}:{port}/_stcore/health")

    @property
    def everything(self) -> list[Supervised]:
        return [*self.replicas, self.worker, self.haproxy]

    def start(self) -> "Deployment":
        """Everything, answering (the replicas warm up side by side)."""
        for replica in self.replicas:
            replica.start()
        self.worker.start()
        for replica in self.replicas:
            wait_healthy(replica.health, replica.process)
        self.haproxy.start()
        wait_healthy(self.haproxy.health, self.haproxy.process, 30)
        return self

    def supervise_once(self) -> list[str]:
        """Start again whatever died; returns what was restarted."""
        restarted = []
        for item in self.everything:
            if not item.alive():
                code = item.process.returncode if item.process else None
                print(f"serve_replicas: {item.name} exited ({code}); starting it again", flush=True)
                item.restarts += 1
                item.start()
                restarted.append(item.name)
        return restarted

    def stop(self) -> None:
        for item in reversed(self.everything):
            if item.alive():
                item.process.terminate()
        for item in self.everything:
            if item.process is None:
                continue
            try:
                item.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                item.process.kill()


def start(replicas: int, port: int, log_dir: Path, host: str = LOOPBACK) -> Deployment:
    return Deployment(replicas, port, log_dir, host).start()


def stop(deployment: Deployment) -> None:
    deployment.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 2,
                        help="server processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8500, help="HAProxy's port; replicas take the next ones")
    parser.add_argument("--host", default=os.environ.get("GENLAB_HOST", LOOPBACK),
                        help="the address HAProxy listens on: 127.0.0.1 (default, this machine only) or 0.0.0.0 "
                             "(every interface: students' laptops on the network); also GENLAB_HOST")
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="genlab-replicas-"))
    from gen_core.classroom import teacher_key
    deployment = start(args.replicas, args.port, log_dir, args.host)
    where = (f"http://{args.host}:{args.port}" if args.host != "0.0.0.0"
             else f"http://THIS-MACHINE'S-ADDRESS:{args.port} (every interface)")
    print(f"GenLab: {args.replicas} replicas and a job worker behind {where}; logs in {log_dir}; Ctrl-C stops",
          flush=True)
    print(f"GenLab teacher key: {teacher_key()}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            deployment.supervise_once()
            time.sleep(1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        deployment.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
