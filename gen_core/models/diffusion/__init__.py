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

The package, one concept a file (each `__init__` of a large family is its contract, as gen_core.models asks):
`config` (Config), `schedule` (beta_t and the forward process), `networks` (U-Net, MLP, `Diffusion`),
`training` (the loss and Trainer), `samplers` (`ddpm_step`, `ddim_step`, `heun_step`, composed by `reverse`),
`evaluation` (the card's metrics) and `trajectories` (runs recorded for the pages).
"""
from __future__ import annotations

from gen_core.models.diffusion.config import DATA_KINDS, MAX_TIMESTEPS, SAMPLERS, SCHEDULES, Config
from gen_core.models.diffusion.evaluation import evaluate
from gen_core.models.diffusion.networks import Diffusion, MLPDenoiser, ResBlock, UNet, norm_groups, timestep_embedding
from gen_core.models.diffusion.samplers import (Step, ddim_step, ddpm_step, heun_step, initial_noise, predict,
                                                probability_flow, reverse, run_to_end, sample, timestep_sequence)
from gen_core.models.diffusion.schedule import broadcast, from_model_space, make_schedule, q_sample, to_model_space
from gen_core.models.diffusion.training import Trainer, loss
from gen_core.models.diffusion.trajectories import denoising_field, forward_chain, record


def build(config: Config) -> Diffusion:
    return Diffusion(config)


def config_for(dataset, **overrides) -> Config:
    """Defaults for a dataset: images keep their shape; points are scaled by their standard deviation."""
    defaults: dict = dict(image_shape=tuple(dataset.shape))
    if dataset.kind == "points":
        defaults.update(data_scale=round(float(dataset.x_train.std()), 4), batch_size=256, lr=2e-3, hidden=128)
    return Config(**{**defaults, **overrides})

