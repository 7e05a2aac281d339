"""Trajectories to look at: one run of the forward Markov chain, the denoiser's pull at a timestep, and a reverse
run recorded for playback (the Diffusion Theater and the 2-D Playground show them)."""
from __future__ import annotations

from typing import Iterator

import torch

from gen_core.models.diffusion.networks import Diffusion
from gen_core.models.diffusion.samplers import Step

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
