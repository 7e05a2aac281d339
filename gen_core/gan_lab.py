"""The measurements behind GAN Studio's variant tabs, one function per idea (tensor work only; the pages draw):

- StyleGAN: style mixing (coarse styles from one w, fine from another), how often the reference classifier's class
  follows the coarse source, and what the per-pixel noise changes;
- SAGAN: where a chosen output pixel looked, from the generator's self-attention map;
- BigGAN: the truncation trick as a curve of fidelity against variety, and two models trained alike but for one
  setting (batch size) compared on the same measures.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gen_core import metrics
from gen_core.models import gan

# --- StyleGAN ----------------------------------------------------------------------------------------------------


def _styles(model: gan.GAN, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
    generator = model.generator
    w = generator.truncate(generator.map(z.to(generator.constant.device)), truncation)
    return w[:, None].repeat(1, generator.num_styles, 1)


@torch.no_grad()
def style_mix(model: gan.GAN, z_coarse: torch.Tensor, z_fine: torch.Tensor, crossover: int | None = None,
              truncation: float = 1.0) -> torch.Tensor:
    """Images whose first `crossover` styles (the coarse layers by default) come from z_coarse and the rest from
    z_fine, pair by pair (both (B, z_dim)); fixed noise, so only the styles differ. (B, C, H, W) on the CPU."""
    generator = model.generator
    crossover = generator.coarse_styles if crossover is None else crossover
    if not 0 <= crossover <= generator.num_styles:
        raise ValueError(f"crossover must be in 0..{generator.num_styles}, got {crossover}")
    coarse, fine = _styles(model, z_coarse, truncation), _styles(model, z_fine, truncation)
    styles = torch.cat([coarse[:, :crossover], fine[:, crossover:]], 1)
    return generator.synthesise(styles, generator.draw_noises(len(styles), None)).float().cpu()


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


MIXING_PAIRS = 1000  # pairs mixed to measure it: 500 left the share wandering by +-3 points between seeds


@dataclass(frozen=True)
class MixingAgreement:
    follows_coarse: float   # share of mixes the reference classifier reads as the coarse source's class
    follows_fine: float     # ... as the fine source's class
    pairs: int              # pairs whose two sources the classifier reads as different classes


@torch.no_grad()
def mixing_agreement(model: gan.GAN, dataset, n: int, generator: torch.Generator,
                     crossover: int | None = None) -> MixingAgreement | None:
    """Mix n random pairs; among the pairs whose sources differ in class (by the reference classifier), how often
    the mix takes the coarse source's class and how often the fine one's. None without a reference classifier."""
    if metrics.reference_classifier(dataset) is None:
        return None
    z_a = gan.draw_latents(model, n, generator)
    z_b = gan.draw_latents(model, n, generator)
    class_a = metrics.predict_classes(dataset, style_mix(model, z_a, z_a))
    class_b = metrics.predict_classes(dataset, style_mix(model, z_b, z_b))
    mixed = metrics.predict_classes(dataset, style_mix(model, z_a, z_b, crossover))
    differ = class_a != class_b
    count = int(differ.sum())
    if count == 0:
        return MixingAgreement(float("nan"), float("nan"), 0)
    return MixingAgreement(float((mixed[differ] == class_a[differ]).mean()),
                           float((mixed[differ] == class_b[differ]).mean()), count)


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

TRUNCATION_THRESHOLDS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0)


@torch.no_grad()
def truncation_curve(model: gan.GAN, dataset, thresholds=TRUNCATION_THRESHOLDS, per_class: int = 100,
                     seed: int = 0) -> list[dict]:
    """For each truncation threshold, `per_class` samples of every class from the same uniforms (so only the
    threshold differs), scored for
      fidelity: the share the reference classifier reads as the class asked for, and k-NN precision;
      variety: k-NN recall, and the spread within a class (the pixel standard deviation over a class's samples,
      averaged over pixels and classes).
    Precision and recall (Kynkäänniemi et al., 2019, k = 5) compare the samples' features (the reference MLP's
    hidden layer) with the training images'. A threshold of 4 is practically no truncation."""
    from gen_core.evaluate import reference_features
    from gen_core.mode_metrics import knn_radii, precision_recall

    k = model.config.num_classes
    if not k:
        raise ValueError("the truncation curve compares classes: it needs a class-conditional GAN")
    labels = torch.arange(k).repeat_interleave(per_class).to(next(model.parameters()).device)
    real = reference_features(dataset, dataset.x_train.numpy())
    real_radii = knn_radii(real, 5)
    rows = []
    for threshold in thresholds:
        generator = torch.Generator().manual_seed(seed)
        z = gan.truncated_latents(model, len(labels), float(threshold), generator)
        x = model.generate(z, labels).float().cpu()
        predicted = metrics.predict_classes(dataset, x)
        features = reference_features(dataset, x.numpy())
        scores = precision_recall(features, real, k=5, real_radii=real_radii)
        spread = float(x.view(k, per_class, -1).std(1).mean())
        rows.append({"threshold": float(threshold),
                     "label_accuracy": float((predicted == labels.cpu().numpy()).mean()),
                     "precision": scores["precision"], "recall": scores["recall"], "spread": spread})
    return rows


def sample_sheet_by_threshold(model: gan.GAN, thresholds, label: int, n: int, seed: int = 0) -> torch.Tensor:
    """n samples of one class at each threshold, the same uniforms in every row: (len(thresholds) * n, C, H, W)."""
    rows = []
    with torch.no_grad():
        for threshold in thresholds:
            z = gan.truncated_latents(model, n, float(threshold), torch.Generator().manual_seed(seed))
            labels = torch.full((n,), int(label), dtype=torch.long, device=z.device)
            rows.append(model.generate(z, labels).float().cpu())
    return torch.cat(rows)
