"""Pick the compute device once, at the edge, and make randomness explicit.

Order of preference: CUDA, then Apple's MPS, then the CPU. `GENLAB_DEVICE` (auto, cpu, cuda, cuda:1, mps)
overrides the automatic choice, so a machine with a GPU can still be made to run on the CPU: "auto" (the CLIs'
default and the app's sidebar default) means GENLAB_DEVICE where it is set.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from gen_core.errors import GenLabError

CHOICES = ("auto", "cpu", "cuda", "mps")


def available_devices() -> list[str]:
    """The device kinds this machine can run on, best first."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def pick_device(preference: str | None = None) -> torch.device:
    """Resolve a preference ("auto", "cpu", "cuda", "cuda:1", "mps") to a device that exists here.

    No preference and "auto" both mean `GENLAB_DEVICE` where it is set, else the best device available. Asking
    for a device the machine lacks raises a GenLabError that says what is available, rather than failing later
    inside a kernel.
    """
    preference = (preference or "auto").strip().lower()
    if preference == "auto":
        preference = (os.environ.get("GENLAB_DEVICE") or "auto").strip().lower()
    if preference == "auto":
        return torch.device(available_devices()[0])
    kind = preference.split(":", 1)[0]
    if kind not in CHOICES:
        raise GenLabError(f"unknown device {preference!r}; choose one of {', '.join(CHOICES)}")
    if kind not in available_devices():
        raise GenLabError(f"device {preference!r} is not available on this machine; "
                          f"available: {', '.join(available_devices())}")
    try:
        device = torch.device(preference)
    except RuntimeError as error:
        raise GenLabError(f"bad device {preference!r}: {error}") from None
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise GenLabError(f"device {preference!r} does not exist; this machine has "
                          f"{torch.cuda.device_count()} CUDA device(s)")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch globally. Only entry points (CLIs, tests) call this; library code takes a
    `torch.Generator` instead, because cached models are shared between sessions and threads."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


MAX_SEED = 2**62  # inside torch.manual_seed's 64-bit range, with room for the streams seed + 1, seed + 2, ...


def check_seed(seed: int) -> int:
    """`seed`, if a torch generator can take it; else a GenLabError (not torch's overflow traceback)."""
    if not 0 <= seed <= MAX_SEED:
        raise GenLabError(f"--seed must be a whole number from 0 to {MAX_SEED}, got {seed}")
    return seed


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch.Generator on `device`, seeded: the one way randomness enters sampling code."""
    check_seed(int(seed))
    generator = torch.Generator(device=torch.device(device))
    generator.manual_seed(int(seed))
    return generator


def server_threads(environ=os.environ, cores: int | None = None) -> int:
    """How many threads torch uses in a GenLab server process: GENLAB_TORCH_THREADS, else half the cores (at least
    one). A server runs many sessions' torch work at once, each in its own script thread; with as many torch threads
    per op as cores, concurrent ops spin-wait on each other (a Playground frame once took 20x longer while another
    job held a core). Half leaves room for the others. serve_replicas gives each replica cores / replicas."""
    cores = cores or os.cpu_count() or 1
    raw = (environ.get("GENLAB_TORCH_THREADS") or "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise GenLabError(f"GENLAB_TORCH_THREADS must be a whole number of threads, not {raw!r}") from None
        if not 1 <= value <= 4 * cores:
            raise GenLabError(f"GENLAB_TORCH_THREADS must lie between 1 and {4 * cores}, not {value}")
        return value
    return max(1, cores // 2)


def configure_server_threads() -> int:
    """Set torch's thread count once, at server start-up, for the whole process: sessions never change it."""
    threads = server_threads()
    torch.set_num_threads(threads)
    return threads
