"""The diffusion family's validated hyper-parameters (stored whole in a checkpoint's card)."""
from __future__ import annotations

from dataclasses import dataclass

from gen_core.models.common import check_fields, check_ranges

DATA_KINDS = ("image", "points")
SCHEDULES = ("linear", "cosine")
SAMPLERS = ("ddpm", "ddim", "heun")  # reverse SDE (ancestral), DDIM, probability-flow ODE by Heun's method

MAX_TIMESTEPS = 100_000  # T = 1000 is usual; each step is a network call when sampling with DDPM


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)  # (C, H, W) of images, or (D,) for points / latent vectors
    timesteps: int = 1000       # T
    schedule: str = "linear"    # beta_t schedule: "linear" (Ho et al.) or "cosine" (Nichol & Dhariwal, 2021)
    channels: int = 32          # U-Net width at full resolution (doubles once below it); images only
    hidden: int = 128           # MLP width; points only
    num_classes: int = 0        # > 0: class-conditional, with classifier-free guidance
    p_uncond: float = 0.1       # how often training drops the label, so the model also learns eps(x, t, null)
    data_scale: float = 1.0     # points are divided by this before diffusion (the data's std), images stay in [-1, 1]
    lr: float = 1e-3            # AdamW learning rate
    batch_size: int = 64
    ema_decay: float = 0.999    # sampling uses an exponential moving average of the weights: smoother, better samples

    def __post_init__(self):
        check_fields(self)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if len(self.image_shape) not in (1, 3) or min(self.image_shape) < 1:
            raise ValueError(f"image_shape must be (C, H, W) or (D,), got {self.image_shape}")
        check_ranges(self, timesteps=f"2..{MAX_TIMESTEPS}", channels=">= 8", hidden=">= 8", num_classes=">= 0",
                     p_uncond="in [0, 1)", ema_decay="in [0, 1)", lr="> 0", batch_size=">= 1", data_scale="> 0")

    @property
    def is_image(self) -> bool:
        return len(self.image_shape) == 3
