"""The shared inference core: every page and the sample CLI reach models through one `InferenceCore`.

- Lazy: a checkpoint is read the first time it is asked for, then kept in an LRU (least recently used model
  evicted first) of 16, more than GenLab ships (each a few MB), so a server process loads each model once.
- Safe to share: the app holds one core per device for all sessions and threads. Each loaded model has its own
  lock, models are put in eval mode once at load and never changed afterwards, and randomness comes in as a
  seed turned into a fresh torch.Generator per call, never from global state.
- Fast: sampling runs in batches under torch.inference_mode(), with bfloat16 autocast on CUDA, where the diffusion
  sampler's network calls also replay from CUDA graphs (gen_core/cuda_graphs.py).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch

from gen_core import checkpoints, cuda_graphs
from gen_core.device import make_generator, pick_device
from gen_core.errors import GenLabError
from gen_core.models import get_family, load_checkpoint


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    model: torch.nn.Module
    card: dict
    family: ModuleType
    lock: threading.Lock

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_image(self) -> bool:
        return self.card["dataset"].get("kind", "image") == "image"


class InferenceCore:
    def __init__(self, device: torch.device | str | None = None, capacity: int = 16):
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.capacity = capacity
        self._models: OrderedDict[tuple, LoadedModel] = OrderedDict()
        self._folders: dict[str, Path] = {}  # name or path -> checkpoint folder: resolving a name reads every card
        self._lock = threading.Lock()  # guards the LRU itself, not the models

    def load(self, ref: str | Path) -> LoadedModel:
        """The model at a checkpoint path or name, loaded on first use. A checkpoint rewritten on disk (its
        card's modification time changed) is loaded afresh."""
        path = self._folders.get(str(ref))
        if path is None or not (path / checkpoints.CARD).is_file():
            path = self._folders[str(ref)] = checkpoints.resolve(ref)
        key = (str(path.resolve()), (path / checkpoints.CARD).stat().st_mtime_ns)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        model, card = load_checkpoint(path, self.device)  # slow part outside the LRU lock
        if self.device.type == "cuda":
            cuda_graphs.enable(model)  # the diffusion sampler's network calls replay as CUDA graphs
        loaded = LoadedModel(path, model, card, get_family(card["family"]), threading.Lock())
        with self._lock:
            self._models[key] = loaded
            self._models.move_to_end(key)
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        return loaded

    def loaded_names(self) -> list[str]:
        with self._lock:
            return [m.name for m in self._models.values()]

    def autocast(self):
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else nullcontext()

    def sample(self, ref: str | Path, n: int, seed: int = 0, label: int | None = None,
               batch_size: int = 256, progress=None, **options) -> torch.Tensor:
        """n samples from a checkpoint, float32 on the CPU: images (n, C, H, W) in [-1, 1], or points (n, 2).

        The same (checkpoint, n, seed, label, batch_size) always gives the same samples on a given device.
        `progress(k)` is called with the number of samples made after each batch; `options` go to the family's
        sample() (a GAN's truncation, say)."""
        if n < 1:
            raise GenLabError(f"n must be at least 1, got {n}")
        loaded = self.load(ref)
        if label is not None:
            classes = loaded.card["dataset"].get("class_names", [])
            if not loaded.card["config"].get("num_classes"):
                raise GenLabError(f"{loaded.name} is unconditional: --label needs a class-conditional model")
            if not 0 <= label < len(classes):
                raise GenLabError(f"label {label} is out of range; {loaded.name} has classes 0..{len(classes) - 1}")
        generator = make_generator(seed, self.device)
        chunks = []
        with loaded.lock, torch.inference_mode(), self.autocast():
            for start in range(0, n, batch_size):
                size = min(batch_size, n - start)
                chunks.append(loaded.family.sample(loaded.model, size, generator=generator, label=label, **options)
                              .float().cpu())
                if progress:
                    progress(size)
        return torch.cat(chunks)

    def run(self, ref: str | Path, fn):
        """fn(loaded) with the model's lock held, under inference mode (and autocast on CUDA): the way pages
        compute anything else with a shared model (decode given latents, score with a discriminator).
        Tensors fn returns should be moved to the CPU by fn."""
        loaded = self.load(ref)
        with loaded.lock, torch.inference_mode(), self.autocast():
            return fn(loaded)
