"""The likelihood table: the same binarised test digits scored by every kind of likelihood model GenLab has.

All numbers are -log P(x) in nats per image for the 360 binarised 8x8 test digits (`digits-binary`: 64 pixels,
each ink or not), so they are comparable: the probability each model gives that exact binary picture.

- PixelCNN: exact (a product of 64 Bernoulli conditionals).
- Glow: a bound. The flow's density on the dequantised picture is exact; the probability of the discrete picture
  is bounded by E_u log p((b + u) / 2 - 1/2) - 64 log 2 (gen_core/models/glow.py), averaged over draws of u.
- VAE: two bounds. The ELBO (one z per image, averaged over draws) and the importance-weighted bound with K
  samples (Burda et al., 2016), which tightens towards log P(x) as K grows; both with the Bernoulli decoder.
- Autoregressive diffusion (order-agnostic ARDM): a bound, the expectation over random orders of an ordered
  model's exact log-likelihood (Hoogeboom et al., 2022, eq. 3), each image scored in one random order.
- Diffusion: the variational bound of Ho et al. (2020, eq. 5) summed over all T steps, with a decoder
  discretised to the two levels: P(pixel = ink | x_1) is the Gaussian mass above mid-grey. Discrete diffusion
  (D3PM) bounds the binary pixels directly; variational diffusion (VDM) is the continuous-time bound with a
  learned schedule and a decoder over the two levels.

A bound says the model gives the data *at least* this probability; the true number may be better. The
anchors of the literature are for binarised MNIST (28 x 28 = 784 pixels): PixelCNN 81.45 nats, a VAE <= 86.77
nats (pytorch-generative's table). GenLab's digits have 64 pixels, so their numbers are smaller, and bits per
dimension (nats / (64 ln 2)) is the scale-free figure to compare.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from gen_core import checkpoints
from gen_core.json_cache import cached_json, write_atomic
from gen_core.shipped import ASSETS

MNIST_ANCHORS = {"PixelCNN (binarised MNIST)": 81.45, "VAE, bound (binarised MNIST)": 86.77}
DEFAULT_MODELS = ("pixelcnn-digits-binary", "glow-digits-binary", "vae-digits-binary", "ddpm-digits-binary",
                  "d3pm-digits-binary", "vdm-digits-binary", "ardm-digits-binary")
IWAE_SAMPLES = 64


@dataclass(frozen=True)
class Row:
    model: str
    family: str
    kind: str            # "exact" or "bound: ..."
    nats: float          # mean -log P(x) per image (an upper bound on it for a bound)
    bits_per_dim: float
    seconds: float       # time to score the test set
    note: str


def bits_per_dim(nats: float, dims: int) -> float:
    return nats / (dims * math.log(2))


@torch.no_grad()
def pixelcnn_nll(model, x: torch.Tensor) -> torch.Tensor:
    return -model.log_prob(x)


@torch.no_grad()
def glow_nll(model, x: torch.Tensor, generator: torch.Generator, samples: int = 8) -> torch.Tensor:
    return -model.log_prob_bound(x, generator, samples=samples)


@torch.no_grad()
def vae_nll(model, x: torch.Tensor, generator: torch.Generator, samples: int) -> torch.Tensor:
    """samples = 1: the ELBO's -value (averaged over 16 draws of z); more: the importance-weighted bound."""
    from gen_core.models import vae

    if samples == 1:
        return torch.stack([vae.importance_weighted_nll(model, x, 1, generator) for _ in range(16)]).mean(0)
    return vae.importance_weighted_nll(model, x, samples, generator)


@torch.no_grad()
def diffusion_vlb(model, x: torch.Tensor, generator: torch.Generator, progress=None) -> torch.Tensor:
    """-log P(x) <= L_T + sum_t L_{t-1} + L_0 (Ho et al., eq. 5), per image (B,), for binary images in [-1, 1].

    Timesteps are 0-based here (x_k has had k + 1 noising steps), so Ho's L_{t-1}, t = 2..T, is
    KL(q(x_{k-1} | x_k, x_0) || p(x_{k-1} | x_k)) for k = 1..T-1; both Gaussians have variance beta~_k, so the KL
    is |mu~ - mu_theta|^2 / (2 beta~_k) per pixel. L_0 = -log p(x_0 | x_k=0) with the decoder N(x0_hat, beta_0)
    discretised at mid-grey: P(ink) = Phi(x0_hat / sqrt(beta_0))."""
    from gen_core.models.diffusion import q_sample

    beta, abar = model.beta.double(), model.abar.double()
    x0 = x.double()
    total = 0.5 * ((1 - abar[-1]) + abar[-1] * x0 ** 2 - 1 - torch.log(1 - abar[-1])).flatten(1).sum(1)  # L_T
    steps = len(beta)
    for k in range(steps):
        t = torch.full((len(x),), k, device=x.device, dtype=torch.long)
        eps = torch.randn(x.shape, generator=generator, device=generator.device).to(x.device)
        x_k = q_sample(model, x, t, eps)
        eps_hat = model.predict_eps(x_k, t).double()
        x0_hat = ((x_k.double() - (1 - abar[k]).sqrt() * eps_hat) / abar[k].sqrt()).clamp(-1, 1)  # as the sampler
        if k == 0:
            z = x0_hat / beta[0].sqrt()
            log_p = torch.special.log_ndtr(torch.where(x0 > 0, z, -z))
            total = total - log_p.flatten(1).sum(1)
        else:
            coef0 = abar[k - 1].sqrt() * beta[k] / (1 - abar[k])
            variance = (1 - abar[k - 1]) / (1 - abar[k]) * beta[k]
            difference = coef0 * (x0 - x0_hat)  # mu~ - mu_theta: the x_k terms cancel
            total = total + (difference ** 2 / (2 * variance)).flatten(1).sum(1)
        if progress:
            progress(k + 1, steps)
    return total.float()


def score(core, name: str, x: torch.Tensor, seed: int = 0, progress=None) -> list[Row]:
    """The table's rows for one checkpoint (a VAE gives two: its ELBO and its importance-weighted bound)."""
    from gen_core.device import make_generator

    loaded = core.load(name)
    family, dims = loaded.card["family"], math.prod(x.shape[1:])
    rows = []

    def timed(kind, note, fn):
        generator = make_generator(seed, core.device)
        started = time.perf_counter()
        nll = core.run(name, lambda m: fn(m.model, x.to(core.device), generator).cpu())
        seconds = time.perf_counter() - started
        nats = float(nll.mean())
        rows.append(Row(name, family, kind, nats, bits_per_dim(nats, dims), seconds, note))

    if family == "pixelcnn":
        timed("exact", "a product of one Bernoulli per pixel", lambda m, v, g: pixelcnn_nll(m, v))
    elif family == "glow":
        timed("bound: dequantisation", "the flow's density is exact; a discrete picture's probability is bounded "
              "by 8 uniform draws inside its cell", lambda m, v, g: glow_nll(m, v, g))
    elif family == "vae":
        timed("bound: ELBO", "one z from q(z|x) per draw, 16 draws", lambda m, v, g: vae_nll(m, v, g, 1))
        timed(f"bound: importance-weighted, K={IWAE_SAMPLES}", "tighter than the ELBO, looser than the truth",
              lambda m, v, g: vae_nll(m, v, g, IWAE_SAMPLES))
    elif family == "ddpm":
        timed("bound: variational (all T steps)", "Ho et al.'s L_T + sum L_t + L_0, one noise draw per step",
              lambda m, v, g: diffusion_vlb(m, v, g, progress))
    elif family == "d3pm":
        from gen_core.models import d3pm
        timed("bound: discrete diffusion (all T steps)", "D3PM's L_T + sum L_t + L_0 on the binary pixels themselves",
              lambda m, v, g: d3pm.bound(m, v, g))
    elif family == "vdm":
        from gen_core.models import vdm
        timed("bound: continuous time, learned schedule", "VDM's prior + reconstruction + diffusion term "
              "(32 stratified t per image)", lambda m, v, g: vdm.bound(m, v, g))
    elif family == "ardm":
        timed("bound: any order (one random order per image)", "the order-agnostic ARDM's E_sigma sum_t log p(x_sigma(t) "
              "| x_sigma(<t)), all 64 steps of one random order", lambda m, v, g: -m.log_prob_bound(v, g))
    else:
        raise ValueError(f"{name} is a {family}: it has no likelihood to put in the table")
    return rows


def table(core, names=DEFAULT_MODELS, dataset_name: str = "digits-binary", seed: int = 0, progress=None) -> list[Row]:
    """Every row for `names` on the test split of `dataset_name` (the binarised digits by default)."""
    from gen_core.data import load_dataset

    x = load_dataset(dataset_name).x_test
    rows = []
    for name in names:
        rows += score(core, name, x, seed, progress)
    return rows


TABLE_VERSION = 1
SHIPPED_TABLES = ASSETS / "likelihood"


def table_key(core, names, dataset_name: str, seed: int) -> str:
    """What a table depends on: each model's weights (their card's hash), the data and the seed."""
    cards = [(name, checkpoints.weights_hash(name)) for name in names]
    text = json.dumps([TABLE_VERSION, cards, dataset_name, seed])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached_table(core, names=DEFAULT_MODELS, dataset_name: str = "digits-binary", seed: int = 0,
                 progress=None) -> list[Row]:
    """`table`, read from a file when one was computed before for these exact weights: shipped with GenLab
    (assets/likelihood/, written by `python bench/likelihood.py --ship`) or cached under $GENLAB_HOME. The
    diffusion bound takes T network calls per image batch, too slow to run on every visit."""
    names = list(names)
    key = table_key(core, names, dataset_name, seed)
    return cached_json(f"table-{key}.json", SHIPPED_TABLES, "likelihood",
                       lambda: table(core, names, dataset_name, seed, progress),
                       decode=lambda rows: [Row(**row) for row in rows], encode=table_json, indent=1)


def table_json(rows: list[Row]) -> list[dict]:
    return [dataclasses.asdict(r) for r in rows]


def write_table(rows: list[Row], path: Path) -> None:
    write_atomic(path, table_json(rows), indent=1)
