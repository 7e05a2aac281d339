"""What every GenLab command line shares: its name as the user typed it, number arguments that accept only what a
person means by a number, and torch's thread count.

- `program("gen_core.train")` is "genlab-train" when the installed script ran, "python -m gen_core.train" otherwise,
  so usage lines and error hints name the command the user actually typed.
- `whole` and `number` are argparse types: ASCII digits only (Python's int() also reads "٣" and "３" as 3, and
  float() reads "inf" and "nan"), finite, and a clear message otherwise.
- `set_threads()` gives torch the thread count the servers use (gen_core.device.server_threads: GENLAB_TORCH_THREADS,
  else half the cores; under torchrun a share of that per rank). Torch's default, one thread per core, made the same
  VAE train in 46.7 s instead of 2.4 s on a busy 2-core machine: its threads spin-wait on each other.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path

_WHOLE = re.compile(r"^[+-]?[0-9]+$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
SCRIPTS = {"gen_core.checkpoint_archive": "genlab-archive"}  # where the script's name is not genlab-MODULE
MAX_DIGITS = 30  # a count or a seed never needs more; int() of a 5,000-digit string is slow and useless


def program(module: str) -> str:
    """The command as typed: the installed script's name (genlab-train) or `python -m gen_core.train`."""
    script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    installed = SCRIPTS.get(module, "genlab-" + module.rsplit(".", 1)[-1])
    return installed if script == installed else f"python -m {module}"


def whole(text: str) -> int:
    """argparse type: a whole number written in ASCII digits."""
    text = text.strip()
    if not _WHOLE.match(text) or len(text) > MAX_DIGITS:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number (ASCII digits, at most {MAX_DIGITS})")
    return int(text)


def number(text: str) -> float:
    """argparse type: a finite decimal number written in ASCII."""
    text = text.strip()
    if not _NUMBER.match(text) or len(text) > 60 or not math.isfinite(float(text)):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a finite number")
    return float(text)


def set_threads(environ=os.environ) -> int | None:
    """Set torch's threads for a command line as the servers set them; torchrun's ranks share them. Left alone when
    the user set OMP_NUM_THREADS themselves and not GENLAB_TORCH_THREADS (torchrun sets OMP_NUM_THREADS=1)."""
    import torch

    from gen_core.device import server_threads

    if environ.get("OMP_NUM_THREADS") and not environ.get("GENLAB_TORCH_THREADS"):
        return None
    world = max(1, int(environ.get("WORLD_SIZE", "1") or 1))
    threads = max(1, server_threads(environ) // world)
    torch.set_num_threads(threads)
    return threads
