"""Super-resolution diffusion, the second stage of a cascade (SR3: Saharia et al., 2021; cascaded diffusion: Ho
et al., 2021).

A cascade generates a small image first and then adds detail: stage 1 is an ordinary diffusion model of
low-resolution images (a `ddpm` on `digits-4x4`), stage 2 is this model, a diffusion model of full-resolution
images *conditioned on the low-resolution one*: the denoiser reads x_t and the low-resolution image upsampled to
full size, side by side as two channels,

    eps_theta(x_t, t, up(x_low)),      trained like DDPM (Ho et al., eq. 14) on pairs (x, down(x)).

`down` is 2x2 average pooling (repeated until the side is `low_side`), `up` bilinear interpolation. Given any
low-resolution picture, sampling draws several high-resolution images consistent with it: super-resolution is
one-to-many, which is exactly what a generative model (rather than a regression to the mean) can express.
The reverse process is DDPM's ancestral step (eq. 6-7) over `timesteps` steps of a cosine schedule.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models import diffusion
from gen_core.models.common import TrainerBase, check_fields

DATA_KINDS = ("image",)


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)
    low_side: int = 4           # the side of the low-resolution image it is conditioned on
    timesteps: int = 200
    channels: int = 32
    lr: float = 1e-3
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ValueError(f"image_shape must be C,H,W; got {self.image_shape}")
        side = self.image_shape[1]
        if self.image_shape[1] != self.image_shape[2] or not 1 <= self.low_side < side or side % self.low_side:
            raise ValueError(f"low_side must divide the image side {side} and be smaller; got {self.low_side}")
        if not 2 <= self.timesteps <= 4000 or self.channels < 8 or self.batch_size < 1:
            raise ValueError("timesteps must be 2..4000, channels >= 8 and batch_size >= 1")


def downsample(x: torch.Tensor, side: int) -> torch.Tensor:
    """Average pooling to side x side (the low-resolution view a camera with bigger pixels would record)."""
    return F.adaptive_avg_pool2d(x, side)


def upsample(low: torch.Tensor, side: int) -> torch.Tensor:
    return F.interpolate(low, size=(side, side), mode="bilinear", align_corners=False)


class SuperResolution(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c = config.image_shape[0]
        inner = diffusion.Config(image_shape=(2 * c, *config.image_shape[1:]), channels=config.channels)
        self.net = diffusion.UNet(inner)
        self.net.conv_out = nn.Conv2d(self.net.conv_out.in_channels, c, 3, padding=1)
        nn.init.zeros_(self.net.conv_out.weight)
        nn.init.zeros_(self.net.conv_out.bias)
        schedule = diffusion.make_schedule("cosine", config.timesteps)
        for key in ("beta", "alpha", "abar"):
            self.register_buffer(key, schedule[key].float(), persistent=False)

    def eps(self, x_t: torch.Tensor, t: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x_t, upsample(low, x_t.shape[-1])], 1), t)


def build(config: Config) -> SuperResolution:
    return SuperResolution(config)


def config_for(dataset, **overrides) -> Config:
    return Config(**{"image_shape": tuple(dataset.shape), **overrides})


class Trainer(TrainerBase):
    def __init__(self, model: SuperResolution, config: Config):
        self.model, self.config = model, config
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        model = self.model
        model.train()
        generator = generator or torch.Generator(device=x.device)
        t = torch.randint(model.config.timesteps, (len(x),), generator=generator, device=generator.device).to(x.device)
        eps = torch.randn(x.shape, generator=generator, device=generator.device).to(x.device)
        abar = model.abar[t][:, None, None, None]
        x_t = abar.sqrt() * x + (1 - abar).sqrt() * eps
        loss = self.losses(lambda: (model.eps(x_t, t, downsample(x, model.config.low_side)) - eps).pow(2).mean())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": float(loss.detach())}


@torch.no_grad()
def upscale(model: SuperResolution, low: torch.Tensor, generator: torch.Generator, record_every: int = 0):
    """High-resolution images (B, C, H, W) in [-1, 1] for low-resolution ones (B, C, low, low): DDPM's ancestral
    steps with x0_hat clipped. With record_every, also x_t every that many steps (for playback)."""
    device = next(model.parameters()).device
    low = low.to(device)
    shape = (len(low), *model.config.image_shape)
    x = torch.randn(shape, generator=generator, device=generator.device).to(device)
    path = []
    for t in range(model.config.timesteps - 1, -1, -1):
        steps = torch.full((len(low),), t, device=device, dtype=torch.long)
        eps = model.eps(x, steps, low)
        abar, beta = model.abar[t], model.beta[t]
        abar_prev = model.abar[t - 1] if t > 0 else torch.tensor(1.0, device=device)
        x0 = ((x - (1 - abar).sqrt() * eps) / abar.sqrt()).clamp(-1, 1)
        mean = (abar_prev.sqrt() * beta * x0 + model.alpha[t].sqrt() * (1 - abar_prev) * x) / (1 - abar)
        if t > 0:
            noise = torch.randn(shape, generator=generator, device=generator.device).to(device)
            x = mean + ((1 - abar_prev) / (1 - abar) * beta).sqrt() * noise
        else:
            x = mean
        if record_every and (t % record_every == 0):
            path.append(x.clamp(-1, 1).cpu())
    return (x.clamp(-1, 1), path) if record_every else x.clamp(-1, 1)


def sample(model: SuperResolution, n: int, *, generator: torch.Generator, label: int | None = None,
           low: torch.Tensor | None = None) -> torch.Tensor:
    """Upscale low-resolution images `low` (n, C, low_side, low_side), as stage 2 of a cascade whose stage 1
    supplies them (gen_core.labs.diffusion.cascade). Without `low` (the CLI, training snapshots) it upscales a flat
    mid-grey image: what appears then is the model's own prior over detail."""
    if label is not None:
        raise ValueError("this super-resolution model is unconditional: it cannot sample a chosen class")
    if low is None:
        side = model.config.low_side
        low = torch.zeros(n, model.config.image_shape[0], side, side)
    return upscale(model, low[:n], generator)


@torch.no_grad()
def evaluate(model: SuperResolution, dataset, generator: torch.Generator) -> dict:
    """On 256 test images: the squared error of the upscaled image against the original and against bilinear
    upsampling, and how well the result keeps its input (downsampled again, against the low-resolution input)."""
    model.eval()
    device = next(model.parameters()).device
    x = dataset.x_test[:256].to(device)
    low = downsample(x, model.config.low_side)
    out = upscale(model, low, generator)
    bilinear = upsample(low, x.shape[-1])
    return {"mse_diffusion": round(float((out - x).pow(2).mean()), 4),
            "mse_bilinear": round(float((bilinear - x).pow(2).mean()), 4),
            "consistency_mse": round(float((downsample(out, model.config.low_side) - low).pow(2).mean()), 5)}
