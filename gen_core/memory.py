"""How much memory a model would take, estimated before anything is allocated, so that a typo such as
`--set channels=100000` or a card with `image_shape: [1, 200000, 200000]` gets one line instead of an
out-of-memory kill that takes the server down for every visitor.

The weights are counted exactly by building the model on PyTorch's "meta" device, which records shapes and
allocates nothing. Training adds a gradient and Adam's two moments per weight, and the activations of one
batch, estimated as a few copies of the widest layer at full resolution (conv nets halve the resolution as they
double the width, so the first layers dominate).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch

from gen_core.errors import GenLabError

ACTIVATION_COPIES = 16   # forward activations kept for backward, across the layers of the widest stage
FLOAT_BYTES = 4


@dataclass(frozen=True)
class Estimate:
    weights: int       # bytes of parameters and buffers
    training: int      # weights + gradients + Adam moments + one batch's activations

    def describe(self) -> str:
        return f"weights {human(self.weights)}, training {human(self.training)}"


def human(size: float) -> str:
    """Bytes in decimal units, to three figures."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000:
            return f"{size:.3g} {unit}"
        size /= 1000
    return f"{size:.3g} PB"


def budget() -> int:
    """The most memory one model may take: $GENLAB_MAX_MEMORY_GB, else half of this machine's memory (the
    server shares the rest with other visitors' models and the browser)."""
    setting = os.environ.get("GENLAB_MAX_MEMORY_GB")
    if setting:
        try:
            gb = float(setting)
            if gb > 0 and math.isfinite(gb):
                return int(gb * 1e9)
        except ValueError:
            pass
        raise GenLabError(f"GENLAB_MAX_MEMORY_GB={setting!r} is not a positive number of gigabytes")
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # not a POSIX system: assume a small laptop
        return 4_000_000_000


def _shape(config) -> tuple[int, ...]:
    for name in ("image_shape", "data_shape"):
        if hasattr(config, name):
            return tuple(getattr(config, name))
    return (2,)


def estimate(family, config) -> Estimate:
    """Bytes the family's model for `config` needs (family: a gen_core.models module)."""
    try:
        with torch.device("meta"):
            model = family.build(config)
        weights = sum(t.numel() * t.element_size() for t in (*model.parameters(), *model.buffers()))
        params = sum(p.numel() for p in model.parameters()) * FLOAT_BYTES
    except (RuntimeError, ValueError, TypeError, NotImplementedError):
        weights = params = 0  # a family that cannot build on meta: fall back to the activations alone
    width = max([getattr(config, k, 0) for k in ("channels", "width", "hidden", "vae_channels")] + [1])
    if getattr(config, "arch", "") == "mlp" and hasattr(config, "width"):
        width *= 4  # the MLP GAN's hidden layers are 4 x width
    batch = getattr(config, "batch_size", 1)
    activations = batch * math.prod(_shape(config)) * width * FLOAT_BYTES * ACTIVATION_COPIES
    return Estimate(weights, weights + 3 * params + activations)


def check_fits(family, config, *, training: bool, what: str = "this model") -> Estimate:
    """Refuse, in one line, a model that would not fit in memory here (see `budget`)."""
    found = estimate(family, config)
    need, limit = (found.training if training else found.weights), budget()
    if need > limit:
        verb = "train" if training else "load"
        raise GenLabError(f"{what} would need about {human(need)} of memory to {verb} ({found.describe()}); "
                          f"GenLab allows {human(limit)} here (half this machine's memory, or "
                          f"GENLAB_MAX_MEMORY_GB): choose smaller sizes")
    return found
