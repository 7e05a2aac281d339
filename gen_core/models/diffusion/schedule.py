"""The forward process: the noise schedules beta_t (linear, cosine) and the one-jump sample
x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (Ho et al., 2020, eq. 4)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from gen_core.models.diffusion.config import SCHEDULES

if TYPE_CHECKING:  # for annotations only: networks builds on this module
    from gen_core.models.diffusion.networks import Diffusion


def make_schedule(name: str, timesteps: int) -> dict[str, torch.Tensor]:
    """beta_t, alpha_t, abar_t and SNR(t) = abar_t / (1 - abar_t) for t = 0..T-1 (float64).

    linear: beta from 1e-4 to 0.02 over T = 1000 (Ho et al., section 4), rescaled by 1000 / T for other T so the
    total noise stays comparable, clipped at 0.999. cosine: abar_t = f(t) / f(0), f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2),
    s = 0.008, betas clipped at 0.999 (Nichol & Dhariwal, eq. 17): noise arrives more gently, so fewer steps are
    wasted on pure noise, which matters most for small images."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose {', '.join(SCHEDULES)}")
    if name == "linear":
        scale = 1000 / timesteps
        # clipped at 0.999 as the cosine's are: below T = 20 the rescaled end passes 1, and a beta over 1 makes
        # alpha negative and the training NaN at once
        betas = torch.linspace(1e-4 * scale, 0.02 * scale, timesteps, dtype=torch.float64).clamp(max=0.999)
    else:
        s = 0.008
        steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
        f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
        abar = f / f[0]
        betas = (1 - abar[1:] / abar[:-1]).clamp(max=0.999)
    alphas = 1 - betas
    abar = torch.cumprod(alphas, 0)
    return {"beta": betas, "alpha": alphas, "abar": abar, "snr": abar / (1 - abar)}


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
