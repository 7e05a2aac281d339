"""Lab results kept on disk under $GENLAB_HOME/cache/kept, so slow work a page shows (DDPM's 1000 steps, a learning
curve's hundreds of fits) runs once per machine, not once per server process, and can be done at start-up
(ui.warmup.warm_reveals) instead of while a class waits for a lesson's reveal.

    @kept_on_disk(checkpoints=("name",))
    def sampler_run(core, name, n, seed, sampler, steps, eta) -> dict: ...

The key is the function (its module, name and source code: an edited function measures again), GenLab's version, the
core's device, the other arguments' values, and the weights hash of every argument naming a checkpoint (a retrained
model measures again). A result is a flat dict of tensors, arrays, numbers, strings, None and lists of numbers,
stored as .npz without pickle (a file in the cache can hold data, never code). A read result carries `kept_at`, the
Unix time it was measured, so a page can say when a timing it shows was taken.

The folder is bounded: past BUDGET_BYTES the results least recently used go first (a read renews a file's time),
so retrained models, edited functions and new versions do not grow it for ever.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import io
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gen_core.data.dataset import genlab_home

KEPT_AT = "kept_at"
BUDGET_BYTES = 256 * 2 ** 20  # every reveal of every lesson takes ~1 MB; a class's day of models fits many times
measured: list[str] = []  # "qualname key" of every result this process computed rather than read (tests look)


def folder() -> Path:
    return genlab_home() / "cache" / "kept"


def prune(budget: int | None = None) -> list[Path]:
    """Delete the least recently used results until the folder holds at most `budget` bytes; the deleted paths."""
    budget = BUDGET_BYTES if budget is None else budget
    files = []
    for path in folder().glob("*.npz"):
        try:
            info = path.stat()
        except OSError:  # another process pruned it a moment ago
            continue
        files.append((info.st_mtime, info.st_size, path))
    total, dropped = sum(size for _, size, _ in files), []
    for _, size, path in sorted(files):  # oldest use first
        if total <= budget:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        dropped.append(path)
    return dropped


def _plain(value) -> str:
    """A stable description of one argument for the key."""
    from gen_core.core import InferenceCore

    if isinstance(value, InferenceCore):
        return f"core:{value.device}"
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_plain(v) for v in value) + ")"
    if hasattr(value, "name"):  # a loaded dataset: known by its name
        return f"{type(value).__name__}:{value.name}"
    raise TypeError(f"kept_on_disk cannot key an argument of type {type(value).__name__}")


def encode(result: dict) -> bytes:
    arrays = {}
    for key, value in result.items():
        if isinstance(value, torch.Tensor):
            arrays[f"tensor:{key}"] = value.detach().cpu().numpy()
        elif isinstance(value, np.ndarray):
            arrays[f"array:{key}"] = value
        elif isinstance(value, (bool, int, float, np.number)):
            arrays[f"number:{key}"] = np.asarray(value)
        elif isinstance(value, str):
            arrays[f"text:{key}"] = np.asarray(value)
        elif value is None:
            arrays[f"none:{key}"] = np.zeros(0)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, np.number)) for v in value):
            arrays[f"list:{key}"] = np.asarray(value)
        else:
            raise TypeError(f"kept_on_disk cannot store {key!r} of type {type(value).__name__}")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode(data: bytes) -> dict:
    out = {}
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        for tagged in stored.files:
            kind, key = tagged.split(":", 1)
            value = stored[tagged]
            out[key] = {"tensor": lambda: torch.from_numpy(value.copy()), "array": lambda: value,
                        "number": lambda: value.item(), "text": lambda: str(value), "none": lambda: None,
                        "list": lambda: value.tolist()}[kind]()
    return out


def kept_on_disk(checkpoints: tuple[str, ...] = ()) -> Callable:
    """Keep the function's dict result on disk, keyed as the module docstring says; `checkpoints` names the
    parameters that hold a checkpoint's name (keyed by its weights, not only its name)."""
    def decorate(function: Callable) -> Callable:
        signature = inspect.signature(function)
        code = hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]

        def key_of(*args, **kwargs) -> str:
            from gen_core import __version__, checkpoints as ckpt

            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            parts = [function.__module__, function.__qualname__, code, __version__]
            for name, value in bound.arguments.items():
                parts.append(f"{name}={_plain(value)}")
                if name in checkpoints:
                    parts.append(f"weights={ckpt.weights_hash(value)}")
            return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            path = folder() / f"{function.__qualname__}-{key_of(*args, **kwargs)}.npz"
            try:
                result = decode(path.read_bytes())
                os.utime(path)  # used now: the last to be pruned
                return result
            except (OSError, ValueError, KeyError, TypeError):  # not there yet, or a damaged file: measure
                pass
            measured.append(path.stem)
            result = function(*args, **kwargs)
            result = {**result, KEPT_AT: time.time()}
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(encode(result))
                tmp.replace(path)  # readers never see half a file
                prune()
            except OSError:  # a read-only home: measured again next time
                pass
            return result

        return wrapper
    return decorate
