"""Glow: a normalizing flow on images with invertible 1x1 convolutions (Kingma & Dhariwal, 2018).

Like RealNVP (gen_core/models/flow.py) the density is exact by the change of variables,

    log p(y) = log p_Z(f(y)) + log |det df/dy|,

with f a stack of steps, each of three invertible layers (ibid., Table 1):

- actnorm: y = s . x + b per channel, s and b set from the first batch so its output has zero mean and unit
  variance; log |det| = H W sum log |s|;
- invertible 1x1 convolution: y = W x at every pixel, W a C x C matrix initialised as a random rotation, a learned
  permutation of the channels; log |det| = H W log |det W|;
- affine coupling: half the channels pass; the other half become (x_b + t(x_a)) . s(x_a), s = sigmoid(. + 2);
  log |det| = sum log s.

Multi-scale (Dinh et al., 2017, Sec. 3.6): a squeeze turns each 2x2 patch into four channels; after each scale's
steps but the last, half the channels leave as latent z_i, with a Gaussian prior whose mean and log-scale a
zero-initialised convolution computes from the half that stays. Sampling runs f^-1 from z's drawn with their
standard deviations times a temperature T (T < 1 trades variety for cleaner samples; ibid., Sec. 5.3).

Images are discrete (binarised digits: 2 levels a pixel; the grey digits: 17). A density on discrete data needs
dequantisation (Theis et al., 2016): the L levels b become y = (b + u) / L - 1/2 with u ~ U[0, 1), and

    log P(b) >= E_u[log p(y)] - D log L,

so the flow's number for discrete images is a bound, tight when the density is flat inside each cell.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, check_ranges, likelihood_metrics

DATA_KINDS = ("image",)
LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)
    levels: int = 2             # grey levels of the data (2: binarised); sets the dequantisation
    num_scales: int = 2         # squeezes; half the channels leave after each scale but the last
    steps_per_scale: int = 8    # actnorm + 1x1 convolution + affine coupling, per step
    hidden: int = 64            # channels of each coupling's network
    lr: float = 1e-3
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ValueError(f"image_shape must be C,H,W; got {self.image_shape}")
        if not 2 <= self.levels <= 256:
            raise ValueError(f"levels must be 2..256, got {self.levels}")
        side = min(self.image_shape[1:])
        if not 1 <= self.num_scales <= 6 or any(s % (2 ** self.num_scales) for s in self.image_shape[1:]):
            raise ValueError(f"num_scales must be 1..6 and halve the sides {self.image_shape[1:]} that many times "
                             f"(side {side})")
        check_ranges(self, steps_per_scale="1..64", hidden="1..1024", batch_size=">= 1")


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 4C, H/2, W/2): each 2x2 patch becomes four channels."""
    return F.pixel_unshuffle(x, 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    return F.pixel_shuffle(x, 2)


def batch_moments(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each channel's mean and (unbiased) standard deviation over the batch and the pixels; under torchrun over the
    global batch, every rank's rows together, so every rank initialises ActNorm alike (DDP broadcasts weights only
    when it wraps the model, before this first forward)."""
    sums = torch.stack([x.sum(dim=(0, 2, 3)), x.square().sum(dim=(0, 2, 3)),
                        x.new_full((x.shape[1],), float(x.numel() // x.shape[1]))])
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(sums)
    total, squares, count = sums
    mean = total / count
    variance = (squares - count * mean.square()) / (count - 1).clamp(min=1)
    shape = (1, -1, 1, 1)
    return mean.view(shape), variance.clamp(min=0).sqrt().view(shape)


class ActNorm(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer("initialised", torch.tensor(0.0))

    def forward(self, x):
        if not self.initialised and self.training:  # data-dependent init: the first batch comes out standardised
            with torch.no_grad():
                mean, std = batch_moments(x)
                self.bias.copy_(-mean)
                self.log_scale.copy_(-torch.log(std + 1e-6))
                self.initialised.fill_(1.0)
        y = (x + self.bias) * torch.exp(self.log_scale)
        return y, self.log_scale.sum() * x.shape[2] * x.shape[3] * x.new_ones(len(x))

    def inverse(self, y):
        return y * torch.exp(-self.log_scale) - self.bias


class InvConv1x1(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        weight = torch.linalg.qr(torch.randn(channels, channels))[0]  # a random rotation: log |det| = 0 at start
        self.weight = nn.Parameter(weight)

    def forward(self, x):
        log_det = torch.linalg.slogdet(self.weight)[1] * x.shape[2] * x.shape[3]
        return F.conv2d(x, self.weight[:, :, None, None]), log_det * x.new_ones(len(x))

    def inverse(self, y):
        return F.conv2d(y, torch.linalg.inv(self.weight)[:, :, None, None])


def zero_conv(in_channels: int, out_channels: int) -> nn.Conv2d:
    """A 3x3 convolution starting at zero, so a new coupling (or prior) starts as the identity (or N(0, I))."""
    conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class AffineCoupling(nn.Module):
    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.kept = channels // 2
        self.net = nn.Sequential(nn.Conv2d(self.kept, hidden, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(hidden, hidden, 1), nn.ReLU(), zero_conv(hidden, 2 * (channels - self.kept)))

    def _scale_shift(self, kept):
        raw, shift = self.net(kept).chunk(2, dim=1)
        return torch.sigmoid(raw + 2.0), shift  # Glow's choice: s near 0.88 at start, never 0 or huge

    def forward(self, x):
        kept, moved = x[:, :self.kept], x[:, self.kept:]
        scale, shift = self._scale_shift(kept)
        return torch.cat([kept, (moved + shift) * scale], 1), torch.log(scale).flatten(1).sum(1)

    def inverse(self, y):
        kept, moved = y[:, :self.kept], y[:, self.kept:]
        scale, shift = self._scale_shift(kept)
        return torch.cat([kept, moved / scale - shift], 1)


class FlowStep(nn.Module):
    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.layers = nn.ModuleList([ActNorm(channels), InvConv1x1(channels), AffineCoupling(channels, hidden)])

    def forward(self, x):
        log_det = 0
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def inverse(self, y):
        for layer in reversed(self.layers):
            y = layer.inverse(y)
        return y


def gaussian_log_prob(z, mean, log_std):
    return (-0.5 * (((z - mean) * torch.exp(-log_std)) ** 2 + 2 * log_std + LOG_2PI)).flatten(1).sum(1)


class Glow(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        channels = config.image_shape[0]
        self.scales, self.priors = nn.ModuleList(), nn.ModuleList()
        for scale in range(config.num_scales):
            channels *= 4
            self.scales.append(nn.ModuleList(FlowStep(channels, config.hidden)
                                              for _ in range(config.steps_per_scale)))
            last = scale == config.num_scales - 1
            # prior of what leaves here: from the half that stays (split), or learned constants (the last scale)
            self.priors.append(zero_conv(channels if last else channels // 2, 2 * (channels if last else channels // 2)))
            if not last:
                channels //= 2

    def encode(self, y: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """f(y): the latents of every scale, log |det df/dy| (B,) and log p_Z of those latents (B,)."""
        zs, log_det, log_pz, h = [], 0, 0, y
        for scale, (steps, prior) in enumerate(zip(self.scales, self.priors)):
            h = squeeze(h)
            for step in steps:
                h, ld = step(h)
                log_det = log_det + ld
            if scale < len(self.scales) - 1:
                h, z = h.chunk(2, dim=1)
                mean, log_std = prior(h).chunk(2, dim=1)
            else:
                z = h
                mean, log_std = prior(torch.zeros_like(h)).chunk(2, dim=1)
            zs.append(z)
            log_pz = log_pz + gaussian_log_prob(z, mean, log_std)
        return zs, log_det, log_pz

    def decode(self, zs: list[torch.Tensor] | None = None, *, n: int = 0, temperature: float = 1.0,
               generator: torch.Generator | None = None, noises: list[torch.Tensor] | None = None) -> torch.Tensor:
        """f^-1: latents to y. Latents not given (zs None) are mean + std x temperature x noise, with the standard
        normal `noises` given per scale (the same z at several temperatures) or drawn from `generator`."""
        weight = next(self.parameters())
        device, dtype = weight.device, weight.dtype
        h = None
        for scale in reversed(range(len(self.scales))):
            last = scale == len(self.scales) - 1
            if last:
                shape = self.latent_shapes()[-1]
                count = len(zs[-1]) if zs is not None else len(noises[-1]) if noises is not None else max(n, 1)
                mean, log_std = self.priors[scale](torch.zeros(count, *shape,
                                                               device=device, dtype=dtype)).chunk(2, dim=1)
            else:
                mean, log_std = self.priors[scale](h).chunk(2, dim=1)
            if zs is not None:
                z = zs[scale]
            else:
                noise = (noises[scale].to(device, dtype) if noises is not None else
                         torch.randn(mean.shape, generator=generator, device=generator.device).to(device, dtype))
                z = mean + torch.exp(log_std) * noise * temperature
            h = z if last else torch.cat([h, z], 1)
            for step in reversed(self.scales[scale]):
                h = step.inverse(h)
            h = unsqueeze(h)
        return h

    def latent_shapes(self) -> list[tuple[int, int, int]]:
        c, height, width = self.config.image_shape
        shapes = []
        for scale in range(self.config.num_scales):
            c, height, width = c * 4, height // 2, width // 2
            last = scale == self.config.num_scales - 1
            shapes.append((c if last else c // 2, height, width))
            if not last:
                c //= 2
        return shapes

    def log_prob_continuous(self, y: torch.Tensor) -> torch.Tensor:
        """log p(y) (B,) of dequantised images y in [-1/2, 1/2)."""
        _, log_det, log_pz = self.encode(y)
        return log_pz + log_det

    def log_prob_bound(self, x: torch.Tensor, generator: torch.Generator, samples: int = 1) -> torch.Tensor:
        """A lower bound on log P(x) (B,) in nats for discrete images x in [-1, 1]: E_u log p(y) - D log L,
        averaged over `samples` dequantisation draws."""
        levels = self.config.levels
        total = 0
        for _ in range(samples):
            total = total + self.log_prob_continuous(dequantise(x, levels, generator))
        return total / samples - math.prod(x.shape[1:]) * math.log(levels)


def to_levels(x: torch.Tensor, levels: int) -> torch.Tensor:
    """Images in [-1, 1] to integer levels 0..L-1 (float)."""
    return torch.round((x.clamp(-1, 1) + 1) / 2 * (levels - 1))


def dequantise(x: torch.Tensor, levels: int, generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(x.shape, generator=generator, device=generator.device).to(x.device)
    return (to_levels(x, levels) + u) / levels - 0.5


def quantise(y: torch.Tensor, levels: int) -> torch.Tensor:
    """Dequantised y back to images in [-1, 1] on the data's levels."""
    b = torch.floor((y + 0.5) * levels).clamp(0, levels - 1)
    return b / (levels - 1) * 2 - 1


def build(config: Config) -> Glow:
    return Glow(config)


def config_for(dataset, **overrides) -> Config:
    levels = int(torch.unique(dataset.x_train[:500]).numel())
    return Config(**{"image_shape": tuple(dataset.shape), "levels": max(2, min(levels, 256)), **overrides})


class Trainer(TrainerBase):
    def __init__(self, model: Glow, config: Config):
        self.model, self.config = model, config
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """One maximum-likelihood step on freshly dequantised images: minimise the bound's -mean."""
        self.model.train()
        generator = generator or torch.Generator(device=x.device)
        nll = self.losses(lambda: -self.model.log_prob_bound(x, generator).mean())
        self.optimizer.zero_grad(set_to_none=True)
        nll.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 50.0)
        self.optimizer.step()
        return {"nll": float(nll.detach())}


REDRAWS = 10  # latents drawn again for a row whose inverse exploded, at most this many times


def sample(model: Glow, n: int, *, generator: torch.Generator, label: int | None = None,
           temperature: float = 0.7) -> torch.Tensor:
    """n images on the data's levels, from latents at `temperature` (0.7 by default, as Glow's paper shows).

    A flow is exactly invertible on paper, not in float32: for some latents a coupling's scale s underflows to 0
    and y / s overflows (the "exploding inverse" of Behrmann et al., 2021; glow-fashion: none of 10,240 latents at
    T = 0.7 but a quarter at T = 1; the 2-epoch model before it, 2 of 1,000 at T = 0.7). Such a row has no image, so its latents are drawn again from the same generator: the samples are the
    flow's distribution given a finite inverse. Rows that were finite keep their values."""
    if label is not None:
        raise ValueError("this Glow is unconditional: it cannot sample a chosen class")
    y = model.decode(n=n, temperature=temperature, generator=generator)
    for _ in range(REDRAWS):
        exploded = ~torch.isfinite(y.flatten(1)).all(1)
        if not exploded.any():
            break
        y[exploded] = model.decode(n=int(exploded.sum()), temperature=temperature, generator=generator)
    return quantise(y, model.config.levels)


@torch.no_grad()
def evaluate(model: Glow, dataset, generator: torch.Generator) -> dict:
    """The test set's dequantisation bound in nats per image (mean over 8 draws) and bits per dimension."""
    model.eval()
    device = next(model.parameters()).device
    total = 0.0
    for start in range(0, len(dataset.x_test), 256):
        x = dataset.x_test[start:start + 256].to(device)
        total += float(-model.log_prob_bound(x, generator, samples=8).sum())
    return likelihood_metrics(total / len(dataset.x_test), dataset.shape)
