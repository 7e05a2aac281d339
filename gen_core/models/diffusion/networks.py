"""The denoisers eps_theta(x_t, t[, y]): a small U-Net for images, an MLP for points and latent vectors, and
`Diffusion`, which holds the network, its EMA copy and the schedule."""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import num_downsamples
from gen_core.models.diffusion.config import Config
from gen_core.models.diffusion.schedule import make_schedule

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
