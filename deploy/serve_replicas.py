"""Serve GenLab from several processes behind HAProxy, so a class uses every core of the machine.

    python deploy/serve_replicas.py --replicas 2 --port 8500      # then open http://127.0.0.1:8500

One Streamlit process runs Python on one core at a time (bench/load.py: 30 sessions kept one process at 1.02
cores). This starts --replicas processes of `streamlit run app.py` on the ports after --port, and HAProxy
(`apt-get install haproxy`) on --port in front of them, with sticky sessions by cookie
(deploy/haproxy.cfg.in). Every replica warms up (ui/warmup.py) before HAProxy sends it visitors. Ctrl-C stops
them all. Needs: haproxy on the PATH.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.in"


def haproxy_config(front_port: int, replica_ports: list[int]) -> str:
    servers = "\n".join(f"    server r{k + 1} 127.0.0.1:{port} check cookie r{k + 1}"
                        for k, port in enumerate(replica_ports))
    return TEMPLATE.read_text().replace("@FRONT_PORT@", str(front_port)).replace("@SERVERS@", servers)


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


def start(replicas: int, port: int, log_dir: Path) -> list[subprocess.Popen]:
    """The replicas and HAProxy, all answering; returns their processes (HAProxy last)."""
    if not shutil.which("haproxy"):
        raise SystemExit("error: haproxy is not installed (apt-get install -y haproxy)")
    ports = [port + 1 + k for k in range(replicas)]
    processes = []
    # each replica's torch gets its share of the cores (gen_core.device.server_threads), unless the caller chose
    environment = {"GENLAB_TORCH_THREADS": str(max(1, (os.cpu_count() or 1) // replicas)), **os.environ}
    for k, replica_port in enumerate(ports):
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(replica_port),
             "--server.headless", "true"], cwd=ROOT, env=environment,
            stdout=open(log_dir / f"replica{k + 1}.log", "w"), stderr=subprocess.STDOUT))
    for replica_port, process in zip(ports, processes):
        wait_healthy(f"http://127.0.0.1:{replica_port}/_stcore/health", process)
    config = log_dir / "haproxy.cfg"
    config.write_text(haproxy_config(port, ports))
    processes.append(subprocess.Popen(["haproxy", "-db", "-f", str(config)],
                                      stdout=open(log_dir / "haproxy.log", "w"), stderr=subprocess.STDOUT))
    wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", processes[-1], 30)
    return processes


def stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 2,
                        help="server processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8500, help="HAProxy's port; replicas take the next ones")
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="genlab-replicas-"))
    processes = start(args.replicas, args.port, log_dir)
    print(f"GenLab: {args.replicas} replicas behind http://127.0.0.1:{args.port} (logs in {log_dir}); Ctrl-C stops")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop(processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
