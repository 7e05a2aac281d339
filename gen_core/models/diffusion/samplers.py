"""The reverse process, one named step per sampler, as diffusers' schedulers have `step`:

- `ddim_step`: x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps_hat + sigma z,
  sigma = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev)       (Song et al., 2021, eq. 12, 16)
- `ddpm_step`: the ancestral step of the reverse SDE. Over consecutive timesteps, eta = 1 makes sigma^2 the DDPM
  posterior variance beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t and the mean that of q(x_{t-1} | x_t, x0_hat)
  (Ho et al., 2020, eq. 6-7), so it is DDIM's step with eta = 1 (Song et al., eq. 16).
- `heun_step`: one step of Heun's method on the probability-flow ODE d xbar / d sigma = eps (Karras et al., 2022).

`reverse` composes them: at each visited timestep it asks the network for eps (`predict`), then takes the
sampler's step, then (inpainting) puts the known region back. `sample` runs it to the end.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch

from gen_core.models.diffusion.config import SAMPLERS
from gen_core.models.diffusion.networks import Diffusion
from gen_core.models.diffusion.schedule import from_model_space, q_sample


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


def predict(model: Diffusion, x: torch.Tensor, t: int, abar_t: float, labels: torch.Tensor | None,
            guidance: float, clip: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(eps_hat, x0_hat) at timestep t: x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t). With `clip`, x0_hat is
    kept in [-1, 1] and eps_hat becomes the noise consistent with the clipped x0_hat."""
    t_batch = torch.full((len(x),), t, device=x.device, dtype=torch.long)
    eps = model.predict_eps(x, t_batch, labels, guidance)
    x0 = (x - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
    if clip:
        x0 = x0.clamp(-1, 1)
        eps = (x - math.sqrt(abar_t) * x0) / math.sqrt(1 - abar_t)
    return eps, x0


def ddim_step(x0: torch.Tensor, eps: torch.Tensor, abar_t: float, abar_next: float, eta: float,
              noise: Callable[[], torch.Tensor] | None) -> torch.Tensor:
    """x at the next (smaller) visited timestep from x0_hat and eps_hat (eq. 12 of Song et al.); `noise()` draws z
    when sigma > 0 (and is not called otherwise, so a deterministic run draws nothing). abar_next = 1 after the
    last step."""
    sigma = eta * math.sqrt(max(0.0, (1 - abar_next) / (1 - abar_t) * (1 - abar_t / abar_next)))
    x_next = math.sqrt(abar_next) * x0 + math.sqrt(max(0.0, 1 - abar_next - sigma ** 2)) * eps
    if abar_next < 1.0 and sigma > 0 and noise is not None:
        x_next = x_next + sigma * noise()
    return x_next


def ddpm_step(x0: torch.Tensor, eps: torch.Tensor, abar_t: float, abar_prev: float,
              noise: Callable[[], torch.Tensor] | None) -> torch.Tensor:
    """x_{t-1} ~ q(x_{t-1} | x_t, x0_hat) (Ho et al., eq. 6-7): DDIM's step with eta = 1 over consecutive
    timesteps, whose sigma^2 is exactly beta~_t (Song et al., eq. 16)."""
    return ddim_step(x0, eps, abar_t, abar_prev, 1.0, noise)


def heun_step(slope: Callable[[torch.Tensor, int], tuple], xbar: torch.Tensor, eps: torch.Tensor,
              sigma_t: float, sigma_next: float, t_next: int) -> torch.Tensor:
    """One Heun step in sigma on d xbar / d sigma = eps (xbar = x / sqrt(abar), sigma = sqrt((1 - abar) / abar)):
    an Euler step, corrected by the slope at its end (Karras et al., 2022, algorithm 1)."""
    euler = xbar + (sigma_next - sigma_t) * eps
    eps_end, _, _ = slope(euler, t_next)
    return xbar + (sigma_next - sigma_t) * (eps + eps_end) / 2


def reverse(model: Diffusion, x_T: torch.Tensor, *, sampler: str = "ddpm", steps: int | None = None,
            eta: float = 0.0, labels: torch.Tensor | None = None, guidance: float = 1.0,
            generator: torch.Generator | None = None, known: torch.Tensor | None = None,
            mask: torch.Tensor | None = None, clip: bool | None = None, start: int | None = None) -> Iterator[Step]:
    """Run the reverse process from x_T (model space), yielding a Step for every timestep visited.

    sampler "ddpm" visits all T steps (`ddpm_step`); "ddim" visits `steps` of them (default 50) with noise eta
    (`ddim_step`); "heun" solves the probability-flow ODE (`probability_flow`). `labels` and `guidance` steer a
    conditional model. With `known` (data in model space) and `mask` (1 = known), the known region is replaced
    after every step by the forward process applied to `known` at the new timestep, so the model only fills in the
    rest (RePaint's replacement step, without resampling; Lugmayr et al., 2022). `clip` keeps x0_hat in [-1, 1];
    on by default for images. `start` begins at that timestep instead of T-1, with x_T then standing for x_start
    (denoising: a noisy image is x_t for the t its noise level matches, SDEdit-style by Meng et al., 2022)."""
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
        sequence = list(range(first, -1, -1))
    else:
        sequence = timestep_sequence(first + 1, min(steps or min(50, total), first + 1))
    clip = model.config.is_image if clip is None else clip
    device = x_T.device
    noise_device = generator.device if generator is not None else device

    def noise() -> torch.Tensor:
        return torch.randn(x.shape, generator=generator, device=noise_device).to(device)

    x = x_T
    if labels is not None:
        labels = labels.to(device)
    abars = model.abar.tolist()  # the per-step coefficients as Python floats: no tiny tensor ops in the loop
    for index, t in enumerate(sequence):
        t_next = sequence[index + 1] if index + 1 < len(sequence) else -1
        abar_t, abar_next = abars[t], abars[t_next] if t_next >= 0 else 1.0
        eps, x0 = predict(model, x, t, abar_t, labels, guidance, clip)
        if sampler == "ddpm":
            x_next = ddpm_step(x0, eps, abar_t, abar_next, noise)
        else:
            x_next = ddim_step(x0, eps, abar_t, abar_next, eta, noise)
        if known is not None:
            known_next = q_sample(model, known, torch.full((len(x),), t_next, device=device), noise()) \
                if t_next >= 0 else known
            x_next = mask * known_next + (1 - mask) * x_next
        yield Step(index, t, t_next, x, x0, eps, x_next)
        x = x_next


HEUN_SIGMA_MAX = 80.0  # Karras et al. (2022), table 1: the largest sigma their Heun sampler starts from


def probability_flow(model: Diffusion, x_T: torch.Tensor, *, steps: int = 10, labels: torch.Tensor | None = None,
                     guidance: float = 1.0, clip: bool = False, start: int | None = None) -> Iterator[Step]:
    """The probability-flow ODE of the diffusion (Song et al., 2021, eq. 13), solved by `heun_step` on `steps`
    timesteps. With xbar = x / sqrt(abar) and sigma = sqrt((1 - abar) / abar) the ODE reads d xbar / d sigma =
    eps(x, t) (the variable change of Karras et al., 2022, sec. 2-3), so each step is an Euler step in sigma
    corrected by the slope at its end (two network calls; one for the last step, which lands on sigma = 0 at
    t = 0). Deterministic: the same x_T always gives the same sample, as DDIM with eta = 0 (Euler on the same ODE)
    does."""
    total = model.config.timesteps
    first = total - 1 if start is None else start
    abars = model.abar.tolist()
    sequence = timestep_sequence(first + 1, min(steps, first + 1))  # DDIM's grid: the two compare step for step
    device = x_T.device
    if labels is not None:
        labels = labels.to(device)

    def slope(xbar, t, abar=None):
        """eps at timestep t for the point xbar (returned with x_t and the clean-image guess)."""
        abar = abars[t] if abar is None else abar
        x = xbar * math.sqrt(abar)
        eps, x0 = predict(model, x, t, abar, labels, guidance, clip)
        return eps, x, x0

    def sigma(t):
        return math.sqrt((1 - abars[t]) / abars[t]) if t >= 0 else 0.0

    # The first point is taken at sigma <= HEUN_SIGMA_MAX: a cosine schedule ends at abar ~ 1e-9 (sigma ~ 2e4), and
    # one step over that span multiplies any error of eps by 2e4 (ddpm-fashion's samples reached 1e5). At sigma 80
    # x_T is noise to 1% (sqrt(abar) = 1/80), so it stands for x there, as Karras et al. start at sigma_max.
    sigma_first = min(sigma(sequence[0]), HEUN_SIGMA_MAX)
    abar_first = 1.0 / (1.0 + sigma_first ** 2)
    xbar = x_T / math.sqrt(abar_first)
    for index, t in enumerate(sequence):
        t_next = sequence[index + 1] if index + 1 < len(sequence) else -1
        first = index == 0
        eps, x, x0 = slope(xbar, t, abar_first if first else None)
        if t_next < 0:
            xbar_next = x0  # sigma = 0: the clean image the last slope points at
            x_next = x0
        else:
            xbar_next = heun_step(slope, xbar, eps, sigma_first if first else sigma(t), sigma(t_next), t_next)
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
