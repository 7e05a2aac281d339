"""Denoising diffusion: DDPM (Ho et al., 2020), DDIM (Song et al., 2021), classifier-free guidance (Ho & Salimans,
2022) and inpainting by replacing the known region (Lugmayr et al., 2022, RePaint).

The forward process adds Gaussian noise over T steps with variances beta_1..beta_T. With
alpha_t = 1 - beta_t and abar_t = prod_{s<=t} alpha_s it can be sampled in one jump:

    x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps,   eps ~ N(0, I)                (Ho et al., eq. 4)

A network eps_theta(x_t, t) learns to predict the noise with the "simple" loss

    L = E_{t, x_0, eps} || eps - eps_theta(x_t, t) ||^2                             (ibid., eq. 14)

and, since x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), every step also gives a prediction of the clean
data. Sampling walks back from x_T ~ N(0, I):

    DDPM: x_{t-1} ~ q(x_{t-1} | x_t, x0_hat), mean (sqrt(abar_{t-1}) beta_t x0_hat + sqrt(alpha_t)(1 - abar_{t-1}) x_t)
          / (1 - abar_t), variance beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t              (ibid., eq. 6-7)
    DDIM: x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps_hat + sigma z,
          sigma = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev)  (Song et al., eq. 12, 16)

DDIM may skip steps (any decreasing subsequence of timesteps); eta = 0 is deterministic, and eta = 1 over every
step is DDPM again. Timesteps are 0-based here: t = 0 .. T-1, abar[t] = prod_{s<=t} alpha_s.

Class-conditional models are trained with the label dropped (replaced by a "null" class) a fraction p_uncond of
the time, so one network gives both eps(x, t, y) and eps(x, t, null); guidance with scale s samples from

    eps_hat = eps(x, t, null) + s (eps(x, t, y) - eps(x, t, null))               (Ho & Salimans, eq. 6, w = s - 1)

s = 0 is unconditional, s = 1 plain conditional, s > 1 trades diversity for samples that look more like y.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import check_fields, num_downsamples

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
        if not 2 <= self.timesteps <= MAX_TIMESTEPS or self.channels < 8 or self.hidden < 8 or self.num_classes < 0:
            raise ValueError(f"timesteps must be from 2 to {MAX_TIMESTEPS}, channels and hidden >= 8, "
                             f"num_classes >= 0")
        if not 0 <= self.p_uncond < 1 or self.lr <= 0 or self.batch_size < 1 or not 0 <= self.ema_decay < 1:
            raise ValueError("p_uncond and ema_decay must be in [0, 1), lr > 0, batch_size >= 1")
        if self.data_scale <= 0:
            raise ValueError("data_scale must be > 0")

    @property
    def is_image(self) -> bool:
        return len(self.image_shape) == 3


# --- noise schedules ------------------------------------------------------------------------------------------

def make_schedule(name: str, timesteps: int) -> dict[str, torch.Tensor]:
    """beta_t, alpha_t, abar_t and SNR(t) = abar_t / (1 - abar_t) for t = 0..T-1 (float64).

    linear: beta from 1e-4 to 0.02 over T = 1000 (Ho et al., section 4), rescaled by 1000 / T for other T so the
    total noise stays comparable. cosine: abar_t = f(t) / f(0), f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2),
    s = 0.008, betas clipped at 0.999 (Nichol & Dhariwal, eq. 17): noise arrives more gently, so fewer steps are
    wasted on pure noise, which matters most for small images."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose {', '.join(SCHEDULES)}")
    if name == "linear":
        scale = 1000 / timesteps
        betas = torch.linspace(1e-4 * scale, 0.02 * scale, timesteps, dtype=torch.float64)
    else:
        s = 0.008
        steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
        f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
        abar = f / f[0]
        betas = (1 - abar[1:] / abar[:-1]).clamp(max=0.999)
    alphas = 1 - betas
    abar = torch.cumprod(alphas, 0)
    return {"beta": betas, "alpha": alphas, "abar": abar, "snr": abar / (1 - abar)}


# --- networks -------------------------------------------------------------------------------------------------

def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (B,) -> (B, dim), as in the Transformer's positions."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def norm_groups(channels: int) -> int:
    """GroupNorm's group count: 8 where it divides the channels (as in the DDPM U-Net), else the largest of 4, 2, 1."""
    return next(g for g in (8, 4, 2, 1) if channels % g == 0)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, with the time (and class) embedding added in between, plus a skip."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(norm_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(norm_groups(c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """A small U-Net: one residual block per resolution on the way down and up, skips joined by concatenation,
    no attention. 8x8 digits go down once (to 4x4), 28x28 images twice (14, 7). Kept lean on purpose: DDPM calls it
    T = 1000 times per sample, so on a CPU every layer costs seconds."""

    def __init__(self, config: Config):
        super().__init__()
        c, h, w = config.image_shape
        ch = config.channels
        emb = 4 * ch
        self.time_dim = ch
        self.time_mlp = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label_emb = nn.Embedding(config.num_classes + 1, emb) if config.num_classes else None
        downs = num_downsamples(min(h, w))
        widths = [ch] + [ch * 2] * downs
        self.conv_in = nn.Conv2d(c, ch, 3, padding=1)
        self.down_blocks = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        for level, width in enumerate(widths):
            self.down_blocks.append(ResBlock(width, width, emb))  # the downsample before it set the width
            if level < downs:
                self.downsamples.append(nn.Conv2d(width, widths[level + 1], 3, stride=2, padding=1))
        self.upsamples = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        for level in reversed(range(downs + 1)):
            # input: the path coming up (already widths[level] wide) joined with the skip from the way down
            self.up_blocks.append(ResBlock(2 * widths[level], widths[level], emb))
            if level > 0:
                self.upsamples.append(nn.ConvTranspose2d(widths[level], widths[level - 1], 4, stride=2, padding=1))
        self.norm_out = nn.GroupNorm(norm_groups(ch), ch)
        self.conv_out = nn.Conv2d(ch, c, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)  # start by predicting zero noise: a calmer first few hundred steps
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x, t, labels=None):
        emb = self.time_mlp(timestep_embedding(t, self.time_dim))
        if self.label_emb is not None:
            emb = emb + self.label_emb(labels)
        emb = F.silu(emb)
        h = self.conv_in(x)
        skips = []
        for level, block in enumerate(self.down_blocks):
            h = block(h, emb)
            skips.append(h)
            if level < len(self.downsamples):
                h = self.downsamples[level](h)
        for i, block in enumerate(self.up_blocks):
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
            if i < len(self.upsamples):
                h = self.upsamples[i](h)
        return self.conv_out(F.silu(self.norm_out(h)))


class MLPDenoiser(nn.Module):
    """eps_theta for points or latent vectors (B, D): an MLP with the time embedding added to every layer."""

    def __init__(self, config: Config):
        super().__init__()
        dim, hidden = config.image_shape[0], config.hidden
        self.time_dim = 32
        self.time_mlp = nn.Sequential(nn.Linear(32, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.label_emb = nn.Embedding(config.num_classes + 1, hidden) if config.num_classes else None
        self.inp = nn.Linear(dim, hidden)
        self.layers = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(3)])
        self.out = nn.Linear(hidden, dim)

    def forward(self, x, t, labels=None):
        emb = self.time_mlp(timestep_embedding(t, self.time_dim))
        if self.label_emb is not None:
            emb = emb + self.label_emb(labels)
        h = self.inp(x)
        for layer in self.layers:
            h = h + layer(F.silu(h + emb))  # residual: deep enough to bend noise into a swiss roll, easy to train
        return self.out(F.silu(h))


class Diffusion(nn.Module):
    """The denoiser, its EMA copy (used for sampling), and the schedule as buffers (they follow .to(device))."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.net = UNet(config) if config.is_image else MLPDenoiser(config)
        self.ema = copy.deepcopy(self.net).requires_grad_(False)
        schedule = make_schedule(config.schedule, config.timesteps)
        for key in ("beta", "alpha", "abar"):
            self.register_buffer(key, schedule[key].float(), persistent=False)

    # A gen_core.cuda_graphs.GraphedNetwork once InferenceCore has put the model on a GPU: the sampler's network
    # calls are then replayed from CUDA graphs (see that module), 1,000 of them per DDPM sample.
    graphed = None

    @property
    def null_label(self) -> int:
        return self.config.num_classes

    def call(self, net: nn.Module, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None):
        """net(x, t, labels): replayed from a CUDA graph where graphs are on (GPU inference), else eagerly."""
        if self.graphed is not None and x.is_cuda and torch.is_inference_mode_enabled():
            out = self.graphed(net, x, t, labels)
            if out is not None:
                return out
        return net(x, t, labels)

    def predict_eps(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None,
                    guidance: float | torch.Tensor = 1.0, net: nn.Module | None = None) -> torch.Tensor:
        """eps_theta(x_t, t, y) with classifier-free guidance of scale `guidance` (module docstring): one number,
        or one per sample (a tensor of len(x): several scales in one batch). Unconditional models and labels=None
        ignore guidance."""
        net = net or self.ema
        if not self.config.num_classes:
            return self.call(net, x, t)
        null = torch.full((len(x),), self.null_label, device=x.device, dtype=torch.long)
        if labels is None:
            return self.call(net, x, t, null)
        labels = labels.to(x.device)
        if torch.is_tensor(guidance):
            guidance = guidance.to(x.device, x.dtype).view(-1, *[1] * (x.dim() - 1))
        elif guidance == 1.0:
            return self.call(net, x, t, labels)
        both = self.call(net, torch.cat([x, x]), torch.cat([t, t]), torch.cat([labels, null]))  # one batched forward
        conditional, unconditional = both.chunk(2)
        return unconditional + guidance * (conditional - unconditional)


def build(config: Config) -> Diffusion:
    return Diffusion(config)


def config_for(dataset, **overrides) -> Config:
    """Defaults for a dataset: images keep their shape; points are scaled by their standard deviation."""
    defaults: dict = dict(image_shape=tuple(dataset.shape))
    if dataset.kind == "points":
        defaults.update(data_scale=round(float(dataset.x_train.std()), 4), batch_size=256, lr=2e-3, hidden=128)
    return Config(**{**defaults, **overrides})


# --- the forward process ------------------------------------------------------------------------------------

def broadcast(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-example scalars (B,) shaped to multiply x (B, ...)."""
    return values.reshape(-1, *([1] * (x.dim() - 1)))


def q_sample(model: Diffusion, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (eq. 4), for per-example timesteps t (B,)."""
    abar = broadcast(model.abar[t], x0)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * eps


def to_model_space(model: Diffusion, x: torch.Tensor) -> torch.Tensor:
    return x / model.config.data_scale


def from_model_space(model: Diffusion, x: torch.Tensor) -> torch.Tensor:
    return x * model.config.data_scale


def loss(model: Diffusion, x0: torch.Tensor, labels: torch.Tensor | None, generator: torch.Generator | None = None,
         net: nn.Module | None = None) -> torch.Tensor:
    """The simple loss (eq. 14) at uniformly drawn timesteps, with labels dropped p_uncond of the time."""
    net = net or model.net
    x0 = to_model_space(model, x0)
    b, device = len(x0), x0.device
    t = torch.randint(0, model.config.timesteps, (b,), generator=generator, device=device)
    eps = torch.randn(x0.shape, generator=generator, device=device)
    x_t = q_sample(model, x0, t, eps)
    if model.config.num_classes:
        drop = torch.rand(b, generator=generator, device=device) < model.config.p_uncond
        labels = torch.where(drop, torch.full_like(labels, model.null_label), labels)
        return F.mse_loss(net(x_t, t, labels), eps)
    return F.mse_loss(net(x_t, t), eps)


class Trainer:
    def __init__(self, model: Diffusion, config: Config):
        self.model = model
        self.config = config
        self.optimizer = torch.optim.AdamW(model.net.parameters(), lr=config.lr, weight_decay=0.0)
        self.steps = 0

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        self.model.train()
        # Warm the learning rate up over 200 steps: Adam's first updates are large and unsteady.
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr * min(1.0, (self.steps + 1) / 200)
        value = loss(self.model, x, y if self.config.num_classes else None, generator)
        self.optimizer.zero_grad(set_to_none=True)
        value.backward()
        torch.nn.utils.clip_grad_norm_(self.model.net.parameters(), 1.0)
        self.optimizer.step()
        self.steps += 1
        # EMA with a short warm-up (decay grows as (1 + n) / (10 + n)) so early checkpoints are not stuck at init.
        decay = min(self.config.ema_decay, (1 + self.steps) / (10 + self.steps))
        with torch.no_grad():
            for ema, live in zip(self.model.ema.parameters(), self.model.net.parameters()):
                ema.lerp_(live, 1 - decay)
        return {"loss": float(value.detach())}


# --- samplers ------------------------------------------------------------------------------------------------

@dataclass
class Step:
    """One reverse step: at timestep t the sampler saw x_t, predicted eps and x0, and moved to x_next
    (the sample at the next, smaller timestep; after the last step, the final sample)."""
    index: int                 # 0 .. steps-1
    t: int
    t_next: int                # -1 after the last step
    x_t: torch.Tensor
    x0: torch.Tensor
    eps: torch.Tensor
    x_next: torch.Tensor


def timestep_sequence(total: int, steps: int) -> list[int]:
    """`steps` timesteps from T-1 down to 0, evenly spaced (DDIM's "uniform" skipping)."""
    if not 1 <= steps <= total:
        raise ValueError(f"steps must be between 1 and {total}, got {steps}")
    return sorted({int(round(v)) for v in np.linspace(total - 1, 0, steps)}, reverse=True)


def initial_noise(model: Diffusion, n: int, generator: torch.Generator) -> torch.Tensor:
    """x_T ~ N(0, I) for n samples, drawn from `generator` (on its device) and moved to the model's."""
    device = model.abar.device
    return torch.randn(n, *model.config.image_shape, generator=generator, device=generator.device).to(device)


def reverse(model: Diffusion, x_T: torch.Tensor, *, sampler: str = "ddpm", steps: int | None = None,
            eta: float = 0.0, labels: torch.Tensor | None = None, guidance: float = 1.0,
            generator: torch.Generator | None = None, known: torch.Tensor | None = None,
            mask: torch.Tensor | None = None, clip: bool | None = None, start: int | None = None) -> Iterator[Step]:
    """Run the reverse process from x_T (model space), yielding a Step for every timestep visited.

    sampler "ddpm" visits all T steps (eq. 6-7 with beta~ variance); "ddim" visits `steps` of them (default 50)
    with noise eta. `labels` and `guidance` steer a conditional model. With `known` (data in model space) and
    `mask` (1 = known), the known region is replaced after every step by the forward process applied to `known`
    at the new timestep, so the model only fills in the rest (RePaint's replacement step, without resampling).
    `clip` keeps x0_hat in [-1, 1]; on by default for images. `start` begins at that timestep instead of T-1, with
    x_T then standing for x_start (denoising: a noisy image is x_t for the t its noise level matches, SDEdit-style
    by Meng et al., 2022)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if sampler == "heun":
        if known is not None:
            raise ValueError("inpainting replaces pixels with noise at every step; use ddpm or ddim for it")
        yield from probability_flow(model, x_T, steps=steps or 10, labels=labels, guidance=guidance,
                                    clip=model.config.is_image if clip is None else clip, start=start)
        return
    total = model.config.timesteps
    first = total - 1 if start is None else start
    if not 0 <= first < total:
        raise ValueError(f"start must be between 0 and {total - 1}, got {start}")
    if sampler == "ddpm":
        sequence, eta = list(range(first, -1, -1)), 1.0
    else:
        sequence = timestep_sequence(first + 1, min(steps or min(50, total), first + 1))
    clip = model.config.is_image if clip is None else clip
    device = x_T.device
    noise_device = generator.device if generator is not None else device
    x = x_T
    if labels is not None:
        labels = labels.to(device)
    abars = model.abar.tolist()  # the per-step coefficients as Python floats: no tiny tensor ops in the loop
    for index, t in enumerate(sequence):
        t_next = sequence[index + 1] if index + 1 < len(sequence) else -1
        abar_t = abars[t]
        abar_next = abars[t_next] if t_next >= 0 else 1.0
        t_batch = torch.full((len(x),), t, device=device, dtype=torch.long)
        eps = model.predict_eps(x, t_batch, labels, guidance)
        x0 = (x - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
        if clip:
            x0 = x0.clamp(-1, 1)
            eps = (x - math.sqrt(abar_t) * x0) / math.sqrt(1 - abar_t)  # the noise consistent with the clipped x0
        # eq. 16: eta = 1 with consecutive steps gives sigma^2 = beta~_t, the DDPM posterior variance
        sigma = eta * math.sqrt(max(0.0, (1 - abar_next) / (1 - abar_t) * (1 - abar_t / abar_next)))
        x_next = math.sqrt(abar_next) * x0 + math.sqrt(max(0.0, 1 - abar_next - sigma ** 2)) * eps
        if t_next >= 0 and sigma > 0:
            x_next = x_next + sigma * torch.randn(x.shape, generator=generator, device=noise_device).to(device)
        if known is not None:
            if t_next >= 0:
                noise = torch.randn(x.shape, generator=generator, device=noise_device).to(device)
                known_next = q_sample(model, known, torch.full((len(x),), t_next, device=device), noise)
            else:
                known_next = known
            x_next = mask * known_next + (1 - mask) * x_next
        yield Step(index, t, t_next, x, x0, eps, x_next)
        x = x_next


def probability_flow(model: Diffusion, x_T: torch.Tensor, *, steps: int = 10, labels: torch.Tensor | None = None,
                     guidance: float = 1.0, clip: bool = False, start: int | None = None) -> Iterator[Step]:
    """The probability-flow ODE of the diffusion (Song et al., 2021, eq. 13), solved by Heun's second-order
    method on `steps` timesteps. With xbar = x / sqrt(abar) and sigma = sqrt((1 - abar) / abar) the ODE reads
    d xbar / d sigma = eps(x, t) (the variable change of Karras et al., 2022, sec. 2-3), so each step is an Euler
    step in sigma corrected by the slope at its end (two network calls; one for the last step, which lands on
    sigma = 0 at t = 0). Deterministic: the same x_T always gives the same sample, as DDIM with eta = 0 (Euler on
    the same ODE) does."""
    total = model.config.timesteps
    first = total - 1 if start is None else start
    abars = model.abar.tolist()
    sequence = timestep_sequence(first + 1, min(steps, first + 1))  # DDIM's grid: the two compare step for step
    device = x_T.device
    if labels is not None:
        labels = labels.to(device)

    def slope(xbar, t):
        """eps at timestep t for the point xbar (returned with x_t and the clean-image guess)."""
        abar = abars[t]
        x = xbar * math.sqrt(abar)
        eps = model.predict_eps(x, torch.full((len(x),), t, device=device, dtype=torch.long), labels, guidance)
        x0 = (x - math.sqrt(1 - abar) * eps) / math.sqrt(abar)
        if clip:
            x0 = x0.clamp(-1, 1)
            eps = (x - math.sqrt(abar) * x0) / math.sqrt(1 - abar)
        return eps, x, x0

    def sigma(t):
        return math.sqrt((1 - abars[t]) / abars[t]) if t >= 0 else 0.0

    xbar = x_T / math.sqrt(abars[sequence[0]])
    for index, t in enumerate(sequence):
        t_next = sequence[index + 1] if index + 1 < len(sequence) else -1
        eps, x, x0 = slope(xbar, t)
        if t_next < 0:
            xbar_next = x0  # sigma = 0: the clean image the last slope points at
            x_next = x0
        else:
            euler = xbar + (sigma(t_next) - sigma(t)) * eps
            eps_end, _, _ = slope(euler, t_next)
            xbar_next = xbar + (sigma(t_next) - sigma(t)) * (eps + eps_end) / 2
            x_next = xbar_next * math.sqrt(abars[t_next])
        yield Step(index, t, t_next, x, x0, eps, x_next)
        xbar = xbar_next


def run_to_end(steps: Iterator[Step]) -> torch.Tensor:
    """Exhaust a sampler and return its final sample (model space)."""
    last = None
    for last in steps:
        pass
    return last.x_next


def sample(model: Diffusion, n: int, *, generator: torch.Generator, label: int | None = None,
           steps: int | None = None, guidance: float = 1.0, sampler: str | None = None,
           eta: float = 0.0) -> torch.Tensor:
    """n samples: images (n, C, H, W) in [-1, 1], or points (n, D) in data coordinates.

    sampler None picks DDPM when steps is None or T, DDIM with `steps` steps otherwise. A conditional model
    without a label samples unconditionally (the null class)."""
    if label is not None and not model.config.num_classes:
        raise ValueError("this diffusion model is unconditional: it cannot sample a chosen class")
    if sampler is None:
        sampler = "ddpm" if steps in (None, model.config.timesteps) else "ddim"
    x_T = initial_noise(model, n, generator)
    labels = None if label is None else torch.full((n,), label, dtype=torch.long, device=x_T.device)
    x = run_to_end(reverse(model, x_T, sampler=sampler, steps=steps, eta=eta, labels=labels, guidance=guidance,
                           generator=generator))
    return from_model_space(model, x).clamp(-1, 1) if model.config.is_image else from_model_space(model, x)


@torch.no_grad()
def evaluate(model: Diffusion, dataset, generator: torch.Generator) -> dict:
    """Test loss (eq. 14, with the EMA weights), and for images how a reference classifier spreads 500 DDIM-50
    samples over the classes; for conditional models the share recognised as their class at guidance 1 and 3."""
    from gen_core import metrics

    model.eval()
    device = model.abar.device
    x, y = dataset.x_test[:1000].to(device), dataset.y_test[:1000].to(device)
    out = {"test_loss": float(loss(model, x, y if model.config.num_classes else None, generator, net=model.ema))}
    if not model.config.is_image:
        from gen_core.mode_metrics import point_metrics
        out.update(point_metrics(sample(model, 2500, generator=generator).cpu(), dataset))
        return out
    steps = min(50, model.config.timesteps)  # DDIM in 50 steps, or all of a model with fewer (T = 20)
    out.update(metrics.class_metrics(dataset, sample(model, 500, generator=generator, steps=steps).cpu()))
    if model.config.num_classes:
        for scale in (1.0, 3.0):
            accuracy = metrics.conditional_accuracy(
                lambda label, k: sample(model, k, generator=generator, label=label, steps=steps, guidance=scale).cpu(),
                dataset, per_class=50)
            if accuracy is not None:  # None: no reference classifier for this data
                out[f"label_accuracy_guidance_{scale:g}"] = accuracy
    return out


# --- for the theater ----------------------------------------------------------------------------------------

@torch.no_grad()
def forward_chain(model: Diffusion, x0: torch.Tensor, generator: torch.Generator, every: int = 1) -> torch.Tensor:
    """One trajectory of the forward Markov chain x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps_t from data x0
    (model space), kept every `every` steps: (steps // every + 1, B, ...), starting with x0."""
    x = x0
    kept = [x0]
    for t in range(model.config.timesteps):
        eps = torch.randn(x.shape, generator=generator, device=generator.device).to(x.device)
        x = model.alpha[t].sqrt() * x + model.beta[t].sqrt() * eps
        if (t + 1) % every == 0:
            kept.append(x)
    return torch.stack(kept)


@torch.no_grad()
def denoising_field(model: Diffusion, points: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
    """At timestep t, the model's clean-data guess x0_hat for each point (N, D) and the noise it sees there;
    x0_hat - x is the direction the denoiser pulls (its score is -eps / sqrt(1 - abar_t)). Model space in, out."""
    t_batch = torch.full((len(points),), t, device=points.device, dtype=torch.long)
    eps = model.predict_eps(points, t_batch)
    x0 = (points - (1 - model.abar[t]).sqrt() * eps) / model.abar[t].sqrt()
    return x0, eps


@torch.no_grad()
def record(steps: Iterator[Step], every: int = 1, callback=None) -> dict:
    """Exhaust a sampler, keeping every `every`-th step (and the last) for playback: t (F,), x (F, B, ...) the
    noisy input at each kept step and x0 (F, B, ...) the model's guess of the clean data there, on the CPU; the
    final frame is the sample itself (t = -1, x = x0 = the sample). `callback(step)` sees every step."""
    ts, xs, x0s = [], [], []
    step = None
    for step in steps:
        if step.index % every == 0:
            ts.append(step.t)
            xs.append(step.x_t.float().cpu())
            x0s.append(step.x0.float().cpu())
        if callback is not None:
            callback(step)
    final = step.x_next.float().cpu()
    ts.append(-1)
    xs.append(final)
    x0s.append(final)
    return {"t": ts, "x": torch.stack(xs), "x0": torch.stack(x0s)}
