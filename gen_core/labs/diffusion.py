"""The experiments behind the Diffusion Theater, one function per tab, as classifier_lab serves the Generative vs
Discriminative page. Each takes the inference core and the model's name (so a GPU's CUDA graphs and the per-model
lock are respected through `core.run`), returns tensors on the CPU, and draws all its randomness from the seed it
is given. The page caches results; nothing here knows about Streamlit.

The seed rule is diffusion.sample's: one generator made from the seed draws x_T and then every step's noise, so the
page and `python -m gen_core.sample` give the same samples for the same seed and settings.
"""
from __future__ import annotations

import math

import time
from typing import Callable

import numpy as np
import torch

from gen_core import metrics
from gen_core.core import InferenceCore
from gen_core.device import make_generator
from gen_core.kept import kept_on_disk
from gen_core.masks import known_mask
from gen_core.models import diffusion as D

SCHEDULES = ("linear", "cosine")


# --- Forward ---------------------------------------------------------------------------------------------------

def forward_views(x0: torch.Tensor, eps: torch.Tensor, T: int, t: int, strip_frames: int = 8) -> dict[str, dict]:
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (Ho et al., 2020, eq. 4) under each schedule, for the same x0 and
    eps: the two coefficients, SNR(t) = abar_t / (1 - abar_t), x_t itself, and a strip of x_t at `strip_frames` evenly
    spaced timesteps."""
    strip_t = [int(v) for v in np.linspace(0, T - 1, strip_frames).round()]
    views = {}
    for name in SCHEDULES:
        s = D.make_schedule(name, T)
        a, b = s["abar"].sqrt().float(), (1 - s["abar"]).sqrt().float()
        views[name] = {"a": float(a[t]), "b": float(b[t]), "snr": float(s["snr"][t]), "x_t": a[t] * x0 + b[t] * eps,
                       "strip": torch.cat([a[k] * x0 + b[k] * eps for k in strip_t]), "strip_t": strip_t}
    return views


def schedule_curves(T: int) -> dict[str, dict[str, np.ndarray]]:
    """beta_t, abar_t and SNR(t) of both schedules, as NumPy, for the schedule chart."""
    return {name: {k: v.numpy() for k, v in D.make_schedule(name, T).items()} for name in SCHEDULES}


def model_view(core: InferenceCore, name: str, x0: torch.Tensor, eps: torch.Tensor, t: int) -> tuple:
    """What the model sees at t under its own schedule (q_sample), and its guess of x0 from it
    (x0_hat = (x_t - sqrt(1 - abar_t) eps_theta) / sqrt(abar_t))."""
    model = core.load(name).model
    with torch.inference_mode():
        x_t = D.q_sample(model, x0.to(core.device), torch.tensor([t], device=core.device), eps.to(core.device))
        x0_hat, _ = core.run(name, lambda m: D.denoising_field(m.model, x_t, t))
    return x_t.cpu(), x0_hat.cpu()


# --- Reverse ---------------------------------------------------------------------------------------------------

def reverse_run(core: InferenceCore, name: str, n: int, seed: int, sampler: str, steps: int,
                labels: torch.Tensor | None, guidance: float, frames: int, callback: Callable | None = None) -> dict:
    """One reverse run recorded for playback (about `frames` of its steps kept), drawn live through
    `callback(step)`. Returns diffusion.record's dict (x, x0, t per kept step) with the run's settings and time."""
    model = core.load(name).model
    generator = make_generator(seed, core.device)
    x_T = D.initial_noise(model, n, generator)
    total = model.config.timesteps if sampler == "ddpm" else steps
    started = time.perf_counter()
    run = core.run(name, lambda m: D.record(
        D.reverse(m.model, x_T, sampler=sampler, steps=steps, labels=labels, guidance=guidance, generator=generator),
        every=max(1, total // frames), callback=callback))
    run.update(seconds=time.perf_counter() - started, sampler=sampler, steps=total, n=n, seed=seed,
               guidance=guidance, every=max(1, total // frames))
    return run


# --- Samplers --------------------------------------------------------------------------------------------------

@kept_on_disk(checkpoints=("name",))
def sampler_run(core: InferenceCore, name: str, n: int, seed: int, sampler: str, steps: int, eta: float) -> dict:
    """One timed run to the end from the x_T that `seed` draws (the same x_T for every sampler), and one network
    forward timed just before it (the mean of 5). The clock starts after one untimed network call at this batch size
    (as forward_seconds warms up), so the first run of a process is not charged for allocating its buffers: the
    times compare with steps x one forward, both taken in the same moment."""
    model = core.load(name).model
    generator = make_generator(seed, core.device)
    x_T = D.initial_noise(model, n, generator)
    t = torch.zeros(n, dtype=torch.long, device=core.device)

    def timed(loaded) -> tuple:
        loaded.model.predict_eps(torch.zeros_like(x_T), t)  # warm-up, untimed
        started = time.perf_counter()  # one forward, timed just before the run, so a kept run's ratio is its own
        for _ in range(5):
            loaded.model.predict_eps(torch.zeros_like(x_T), t).sum().item()
        forward = (time.perf_counter() - started) / 5
        started = time.perf_counter()
        x = D.run_to_end(D.reverse(loaded.model, x_T, sampler=sampler, steps=None if sampler == "ddpm" else steps,
                                   eta=eta, generator=generator))
        return x, time.perf_counter() - started, forward
    x, seconds, forward = core.run(name, timed)
    return {"x": x.float().cpu(), "seconds": seconds, "forward_seconds": forward}


@kept_on_disk(checkpoints=("name",))
def path(core: InferenceCore, name: str, seed: int, sampler: str, steps: int | None = None, frames: int = 8) -> dict:
    """One image's run from the x_T that `seed` draws (the same x_T for every sampler): `frames` snapshots of x_t
    and their t. "ddpm" is the reverse SDE over all T steps (fresh noise each step, drawn after x_T); "heun" the
    probability-flow ODE in `steps` steps."""
    model = core.load(name).model
    generator = make_generator(seed, core.device)
    x_T = D.initial_noise(model, 1, generator)
    total = model.config.timesteps if sampler == "ddpm" else steps
    run = core.run(name, lambda m: D.record(D.reverse(m.model, x_T, sampler=sampler, steps=steps,
                                                      generator=generator), every=max(1, total // frames)))
    return {"x": run["x"][:, 0], "t": run["t"]}


def forward_seconds(core: InferenceCore, name: str, n: int) -> float:
    """One network forward on n samples (the mean of 20 calls after 3 warm-ups), under the model's lock as the
    samplers run: sampling time is steps x this."""
    model = core.load(name).model
    x = torch.zeros(n, *model.config.image_shape, device=core.device)
    t = torch.zeros(n, dtype=torch.long, device=core.device)

    def time_forward(loaded) -> float:
        for _ in range(3):  # warm up
            loaded.model.predict_eps(x, t)
        started = time.perf_counter()
        for _ in range(20):
            eps = loaded.model.predict_eps(x, t)
        eps.sum().item()  # wait for a GPU to finish
        return (time.perf_counter() - started) / 20

    return core.run(name, time_forward)


# --- Guidance --------------------------------------------------------------------------------------------------

# The Guidance tab's DDIM steps by default (and what the lesson measures): on the digits the class is recognised as
# often as at 50 steps at every scale (10 classes x 5 scales x 8 samples), in half the time (0.34 -> 0.18 s a class)
GUIDANCE_STEPS = 25


@kept_on_disk(checkpoints=("name",))
def guidance_grid(core: InferenceCore, name: str, dataset, label: int, scales: tuple[float, ...], n: int, seed: int,
                  steps: int) -> dict:
    """n samples of one class at each guidance scale s, all from the same noise (DDIM, eta = 0), with
    eps = eps(x, t, none) + s (eps(x, t, y) - eps(x, t, none)) (Ho & Salimans, 2022). Also: the share of each row a
    classifier trained on real data recognises as the class, and each row's spread (mean pairwise pixel distance)."""
    model = core.load(name).model
    x_T = D.initial_noise(model, n, make_generator(seed, core.device))
    # Every scale in one batch (the same x_T repeated, one scale per sample): one pass of the sampler instead of one
    # per scale, 1.33 -> 0.52 s for five scales of eight digits on the CPU
    k = len(scales)
    labels = torch.full((k * n,), label, dtype=torch.long)
    per_sample = torch.tensor(scales, dtype=torch.float32).repeat_interleave(n)
    x = core.run(name, lambda m: D.run_to_end(D.reverse(
        m.model, x_T.repeat(k, *[1] * (x_T.dim() - 1)), sampler="ddim", steps=steps, labels=labels,
        guidance=per_sample))).float().cpu().reshape(k, n, *x_T.shape[1:])
    rows = list(x)
    predicted = metrics.predict_classes(dataset, x.flatten(0, 1))
    hits = None if predicted is None else (predicted.reshape(len(scales), n) == label).mean(1)
    spread = [float(torch.pdist(r.flatten(1)).mean()) for r in rows] if n > 1 else [0.0] * len(rows)
    return {"x": x, "hits": hits, "spread": spread}


# --- Inpainting ------------------------------------------------------------------------------------------------

def inpaint(core: InferenceCore, name: str, dataset, index: int, mask_kind: str, n: int, seed: int,
            steps: int) -> dict:
    """n fills of the hidden part of test image `index`: DDIM with eta = 1, the known pixels replaced every step by
    the forward process applied to the real image (RePaint's replacement, Lugmayr et al., 2022)."""
    model = core.load(name).model
    x = dataset.x_test[index:index + 1].repeat(n, 1, 1, 1).to(core.device)
    known = known_mask(tuple(x.shape), mask_kind).float().to(core.device)
    generator = make_generator(seed, core.device)
    x_T = D.initial_noise(model, n, generator)
    run = core.run(name, lambda m: D.record(D.reverse(
        m.model, x_T, sampler="ddim", steps=steps, eta=1.0, known=x, mask=known, generator=generator),
        every=max(1, steps // 8)))
    fills = run["x"][-1]
    return {"fills": fills, "known": known.cpu(), "x0_path": run["x0"][:, 0], "t": run["t"],
            "predicted": metrics.predict_classes(dataset, fills)}


def noise_level_t(model_abar: torch.Tensor, sigma: float) -> int:
    """The timestep whose noise matches a noisy image x0 + sigma * eps (in model space): x_t / sqrt(abar_t) =
    x0 + sqrt((1 - abar_t) / abar_t) eps, so the t with sqrt((1 - abar_t) / abar_t) nearest sigma."""
    ratio = ((1 - model_abar) / model_abar).sqrt()
    return int((ratio - sigma).abs().argmin())


def denoise(core: InferenceCore, name: str, x0: torch.Tensor, sigma: float, seed: int, steps: int = 50) -> dict:
    """Diffusion as a denoiser: y = x0 + sigma * eps (the noisy picture a person has), scaled to x_t =
    sqrt(abar_t) y for the t whose noise level matches sigma, then the reverse process from that t (DDIM,
    deterministic). Returns the noisy picture, the denoised one, one-step x0_hat at t, the path, and mean squared
    errors against the original."""
    model = core.load(name).model
    x0 = x0.to(core.device)
    generator = make_generator(seed, core.device)
    noise = torch.randn(x0.shape, generator=generator, device=generator.device).to(core.device)
    noisy = x0 + sigma * noise
    t = noise_level_t(model.abar.cpu(), sigma)
    x_t = math.sqrt(float(model.abar[t])) * noisy
    run = core.run(name, lambda m: D.record(D.reverse(m.model, x_t, sampler="ddim", steps=steps, start=t),
                                            every=max(1, steps // 8)))
    denoised = run["x"][-1]
    cpu = x0.cpu()
    mse = lambda a: float(((a.cpu().clamp(-1, 1) - cpu) ** 2).mean())  # noqa: E731 - one line, used three times
    return {"t": t, "noisy": noisy.cpu(), "denoised": denoised, "one_step": run["x0"][0], "path": run["x0"][:, 0],
            "path_t": run["t"], "mse_noisy": mse(noisy), "mse_denoised": mse(denoised), "mse_one_step": mse(run["x0"][0])}


# --- 2-D -------------------------------------------------------------------------------------------------------

def toy_runs(core: InferenceCore, name: str, data, seed: int, points: int = 400) -> dict:
    """For a 2-D model: forward chains from `points` test points, and reverse trajectories of DDPM and DDIM (eta 0,
    50 steps) from the same starting noise; all in data coordinates."""
    model = core.load(name).model
    x0 = data.x_test[:points].to(core.device)
    chain = D.forward_chain(model, D.to_model_space(model, x0), make_generator(seed, core.device),
                            every=max(1, model.config.timesteps // 100))
    x_T = D.initial_noise(model, points, make_generator(seed + 1, core.device))
    paths = {}
    for sampler, steps in (("ddpm", None), ("ddim", 50)):
        run = core.run(name, lambda m: D.record(D.reverse(
            m.model, x_T, sampler=sampler, steps=steps, generator=make_generator(seed + 2, core.device)),
            every=1 if sampler == "ddim" else 10))
        paths[sampler] = D.from_model_space(model, run["x"]).numpy()
    return {"chain": D.from_model_space(model, chain).cpu().numpy(), "paths": paths,
            "chain_every": max(1, model.config.timesteps // 100), "data": data.x_train[:2000].numpy()}


def toy_field(core: InferenceCore, name: str, t: int, extent: float, ticks: int = 21) -> dict:
    """The denoising field at t on a ticks x ticks grid over [-extent, extent]^2: each grid point x_t and the
    model's guess of the clean point. sqrt(abar_t) x0_hat - x_t points along the score (Tweedie); the arrow
    x0_hat - x_t differs from it only by the factor on x0_hat, which is near 1 for small t."""
    model = core.load(name).model
    axis = torch.linspace(-extent, extent, ticks)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1).reshape(-1, 2)
    x0, _ = core.run(name, lambda m: D.denoising_field(m.model, D.to_model_space(model, grid.to(core.device)), t))
    return {"grid": grid.numpy(), "x0": D.from_model_space(model, x0).cpu().numpy()}


# --- Latent diffusion ------------------------------------------------------------------------------------------

def latent_samples(core: InferenceCore, name: str, data, n: int, seed: int) -> dict:
    """n latent-diffusion samples (DDIM, 50 steps, decoded) beside n decodes of the VAE's prior z ~ N(0, I), with a
    reference classifier's class histogram of each, and the decoded x0 guesses along the run."""
    model = core.load(name).model
    x_T = D.initial_noise(model.diffusion, n, make_generator(seed, core.device))

    def run_all(m):
        run = D.record(D.reverse(m.model.diffusion, x_T, sampler="ddim", steps=50), every=5)
        decoded = torch.stack([m.model.decode(z.to(core.device)).cpu() for z in run["x0"]])
        # the prior's codes come from another stream: the same numbers as x_T would hide the difference
        prior = m.model.vae.decode(torch.randn(n, m.model.config.latent_dim,
                                               generator=make_generator(seed + 7919)).to(core.device)).cpu()
        return run, decoded, prior

    run, decoded, prior = core.run(name, run_all)
    return {"t": run["t"], "decoded": decoded, "samples": decoded[-1], "prior": prior,
            "ours": metrics.class_metrics(data, decoded[-1]), "theirs": metrics.class_metrics(data, prior),
            "class_names": data.class_names}


# --- discrete diffusion (D3PM) ------------------------------------------------------------------------------

def discrete_forward(core: InferenceCore, name: str, x0: torch.Tensor, times: list[int], seed: int) -> dict:
    """One image's forward corruption at the given timesteps (each drawn from q(x_t | x_0), the same uniform
    draws for every t so pixels corrupt in a fixed order), as images with [MASK] mid-grey, and q's share of
    pixels still equal to the data at each t (abar_t plus the chance a coin lands right, for uniform)."""
    from gen_core.models import d3pm

    def run(loaded):
        model = loaded.model
        states = d3pm.to_states(x0[None].to(core.device))
        u = torch.rand(states.shape, generator=make_generator(seed)).to(core.device)
        images, kept = [], []
        for t in times:
            probs = d3pm.q_marginal(model, states, torch.tensor([t], device=core.device))
            x_t = d3pm.categorical_from_uniform(probs, u)
            images.append(d3pm.from_states(x_t)[0].cpu())
            kept.append(float(probs.gather(-1, states[..., None]).mean()))
        return {"images": torch.stack(images), "expected_kept": kept}
    return core.run(name, run)


def discrete_reverse(core: InferenceCore, name: str, n: int, seed: int) -> dict:
    """n reverse chains from x_T, every state and the model's expected x_0 along the way."""
    from gen_core.models import d3pm

    def run(loaded):
        final, states, guesses = d3pm.reverse(loaded.model, n, make_generator(seed, core.device), record=True)
        return {"final": final.cpu(), "states": states, "guesses": guesses}
    return core.run(name, run)


# --- super-resolution and the cascade -----------------------------------------------------------------------

def upscale(core: InferenceCore, sr_name: str, low: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """n high-resolution images drawn for one low-resolution image low (C, s, s)."""
    from gen_core.models import cascade

    def run(loaded):
        batch = low[None].expand(n, -1, -1, -1)
        return cascade.upscale(loaded.model, batch, make_generator(seed, core.device)).cpu()
    return core.run(sr_name, run)


def cascade(core: InferenceCore, base_name: str, sr_name: str, n: int, seed: int) -> dict:
    """A two-stage cascade: n low-resolution samples of the base model, then the super-resolution model on each."""
    from gen_core.models import cascade as sr

    low = core.sample(base_name, n, seed=seed)

    def run(loaded):
        return sr.upscale(loaded.model, low, make_generator(seed + 1, core.device)).cpu()
    high = core.run(sr_name, run)
    return {"low": low, "high": high, "bilinear": sr.upsample(low, high.shape[-1]).clamp(-1, 1)}
