"""The measurements behind GAN Studio's variant tabs, one function per idea (tensor work only; the pages draw):

- StyleGAN: style mixing (coarse styles from one w, fine from another), how often the reference classifier's class
  follows the coarse source, and what the per-pixel noise changes;
- SAGAN: where a chosen output pixel looked, from the generator's self-attention map;
- BigGAN: the truncation trick as a curve of fidelity against variety, and two models trained alike but for one
  setting (batch size) compared on the same measures.

The two measures that training writes into a card (StyleGAN's mixing agreement, BigGAN's truncation curve) live
with the model, in gen_core/models/gan/measures.py, and are offered here too, beside the rest of the tab's work.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from gen_core import metrics
from gen_core.device import make_generator
from gen_core.kept import kept_on_disk
from gen_core.models import gan
from gen_core.models.gan.measures import (MIXING_PAIRS, TRUNCATION_THRESHOLDS, MixingAgreement,  # noqa: F401
                                          _styles, mixing_agreement, style_mix, truncation_curve)

# --- StyleGAN ----------------------------------------------------------------------------------------------------


@torch.no_grad()
def mixing_grid(model: gan.GAN, z_rows: torch.Tensor, z_columns: torch.Tensor, crossover: int | None = None,
                truncation: float = 1.0) -> torch.Tensor:
    """StyleGAN's figure 3: a (R + 1) x (C + 1) sheet. The first row holds the column sources (they give the fine
    styles), the first column the row sources (they give the coarse styles), and cell (r, c) mixes the two.
    The corner is blank (-1). Returned row by row, (R+1)(C+1) images."""
    rows, columns = len(z_rows), len(z_columns)
    sources_row = style_mix(model, z_columns, z_columns, truncation=truncation)
    sources_column = style_mix(model, z_rows, z_rows, truncation=truncation)
    mixed = style_mix(model, z_rows.repeat_interleave(columns, 0), z_columns.repeat(rows, 1), crossover, truncation)
    blank = -torch.ones_like(sources_row[:1])
    sheet = [blank, sources_row]
    for r in range(rows):
        sheet += [sources_column[r:r + 1], mixed[r * columns:(r + 1) * columns]]
    return torch.cat(sheet)


@torch.no_grad()
def noise_effect(model: gan.GAN, z: torch.Tensor, draws: int, generator: torch.Generator,
                 layers: str = "all") -> dict:
    """One w, `draws` different noise inputs in the chosen layers ("all", "coarse", "fine"; the others keep fixed
    noise), and the same w with no noise at all. Returns images (draws, C, H, W), the per-pixel standard deviation
    over the draws (H, W), and the noiseless image (C, H, W), on the CPU."""
    if layers not in ("all", "coarse", "fine"):
        raise ValueError(f"layers must be all, coarse or fine, got {layers!r}")
    g = model.generator
    styles = _styles(model, z[:1]).repeat(draws, 1, 1)
    fixed = g.draw_noises(draws, None)
    fixed = [f[:1].expand_as(f) for f in fixed]  # every draw starts from the same fixed noise
    fresh = g.draw_noises(draws, generator)
    chosen = {"all": range(len(fixed)), "coarse": range(g.coarse_styles),
              "fine": range(g.coarse_styles, len(fixed))}[layers]
    noises = [fresh[k] if k in chosen else fixed[k] for k in range(len(fixed))]
    images = g.synthesise(styles, noises).float().cpu()
    silent = g.synthesise(styles[:1], [torch.zeros_like(f[:1]) for f in fixed]).float().cpu()[0]
    return {"images": images, "std": images.std(0).mean(0), "noiseless": silent}


# --- SAGAN ------------------------------------------------------------------------------------------------------

@torch.no_grad()
def generate_with_attention(model: gan.GAN, z: torch.Tensor, labels: torch.Tensor | None) -> dict:
    """Samples and the generator's attention map beta (B, N, N) at its attention layer (side s, N = s * s):
    row j is the distribution over the s x s positions that output position j drew on."""
    attention = model.generator.attention
    if attention is None:
        raise ValueError("this GAN has no self-attention layer")
    attention.keep_map = True
    try:
        x = model.generate(z, labels)
        beta = attention.last_map
    finally:
        attention.keep_map, attention.last_map = False, None
    return {"x": x.float().cpu(), "beta": beta.float().cpu(), "side": int(round(beta.shape[-1] ** 0.5))}


def attention_of_pixel(beta: torch.Tensor, side: int, image_side: int, row: int, col: int) -> torch.Tensor:
    """Where the image pixel (row, col) looked: its attention-layer position's row of beta, (side, side), summing
    to one. Image coordinates map to the layer's grid by integer scaling (28 -> 14: two pixels per position)."""
    if not (0 <= row < image_side and 0 <= col < image_side):
        raise ValueError(f"pixel ({row}, {col}) is outside the {image_side}x{image_side} image")
    scale = image_side // side
    return beta[(row // scale) * side + col // scale].view(side, side)


def attention_on_shape(maps: torch.Tensor, images: torch.Tensor) -> dict:
    """Where the attention goes: the weight the maps (B, s, s) put on the positions whose pixels hold ink (the
    images (B, 1, H, W) average-pooled to s x s, above mid-grey), against the share of such positions, which is what
    uniform attention would put there."""
    side = maps.shape[-1]
    ink = F.adaptive_avg_pool2d(images.float(), side)[:, 0] > 0                         # (B, s, s)
    return {"weight_on_shape": float((maps * ink).sum((1, 2)).mean()), "shape_share": float(ink.float().mean())}


def attention_spread(beta: torch.Tensor) -> dict:
    """How far from uniform the maps are: mean entropy of each row against log N (uniform), and the mean weight
    on the position itself."""
    n = beta.shape[-1]
    entropy = -(beta * beta.clamp_min(1e-12).log()).sum(-1)
    return {"entropy": float(entropy.mean()), "uniform_entropy": float(np.log(n)),
            "self_weight": float(beta.diagonal(dim1=-2, dim2=-1).mean())}


# --- BigGAN -----------------------------------------------------------------------------------------------------

def sample_sheet_by_threshold(model: gan.GAN, thresholds, label: int, n: int, seed: int = 0) -> torch.Tensor:
    """n samples of one class at each threshold, the same uniforms in every row: (len(thresholds) * n, C, H, W)."""
    rows = []
    with torch.no_grad():
        for threshold in thresholds:
            z = gan.truncated_latents(model, n, float(threshold), make_generator(seed))
            labels = torch.full((n,), int(label), dtype=torch.long, device=z.device)
            rows.append(model.generate(z, labels).float().cpu())
    return torch.cat(rows)


# --- the Samples tab ---------------------------------------------------------------------------------------------

GRID_COUNT = {True: 80, False: 32}  # samples in the tab's first grid: conditional models (8 per class), others


def grid_labels(num_classes: int, count: int, chosen: int | None = None) -> tuple[int, ...] | None:
    """The labels a grid asks a conditional model for: one row per class (`count` / classes each), or all `chosen`;
    None for an unconditional model."""
    if not num_classes:
        return None
    if chosen is not None:
        return (int(chosen),) * count
    return tuple(k for k in range(num_classes) for _ in range(count // num_classes))


def first_grid_inputs(card: dict, seed: int = 0) -> tuple:
    """samples_batch's (n, seed, truncation, labels) for the tab's grid as a first visit shows it (ψ = 1, one row
    per class): what the server's start-up makes, for the seed shown and the next (ui.warmup.warm_first_views)."""
    classes = int(card["config"].get("num_classes") or 0)
    labels = grid_labels(classes, GRID_COUNT[bool(classes)])
    n = len(labels) if labels else GRID_COUNT[False]  # whole rows: 80 // 3 classes draws 78, as the page does
    return (n, seed, 1.0, labels)


@kept_on_disk(checkpoints=("name",))
def samples_batch(core, name: str, n: int, seed: int, truncation: float, labels: tuple[int, ...] | None) -> dict:
    """The Samples tab's grid: n samples from `seed` (with z, labels and D's opinion, gan.sample_batch). A pure
    function of its inputs, so a class pressing New samples together (same model, same next seed) computes it once
    per process (ui.lab_cache.lab_call), and once per machine: kept on disk, two replicas share it and the start-up
    makes the first grid and the next before the class arrives."""
    label_tensor = None if labels is None else torch.tensor(labels, dtype=torch.long)
    return core.run(name, lambda m: gan.sample_batch(m.model, n, generator=make_generator(seed, core.device),
                                                     truncation=truncation, labels=label_tensor))


@kept_on_disk(checkpoints=("name",))
def nearest_training(core, name: str, dataset, n: int, seed: int, truncation: float,
                     labels: tuple[int, ...] | None) -> dict:
    """The memorisation check of samples_batch's grid (same arguments, the dataset first): the 4 nearest training
    images of every sample and their distances, in one pass (80 x 60,000 distances on Fashion-MNIST, twice the
    sampling's time). Apart from the batch so that the grid shows without waiting on it; it reads the batch back
    from the disk where samples_batch kept it (or draws it), rather than take tensors a cache could not key."""
    x = samples_batch(core, name, n, seed, truncation, labels)["x"]
    close, close_distance = metrics.k_nearest_each(x, dataset.x_train, 4)
    return {"close": close, "close_distance": close_distance, "nearest": close[:, 0], "distance": close_distance[:, 0]}
