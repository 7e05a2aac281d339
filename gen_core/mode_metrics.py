"""Sample-quality metrics for 2-D mixtures with known modes (ring8, grid25), as in the mode-collapse benchmarks of
VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018), plus k-NN precision and recall (Kynkäänniemi et
al., 2019) for any point set. Written for the 2-D Playground (issue #7); usable on any (N, 2) samples.

- Each sample belongs to its nearest mode. It is *high quality* when it lies within 3 standard deviations of it.
- A mode is *covered* when at least `min_count` high-quality samples belong to it (VEEGAN and PacGAN count a mode
  with any high-quality sample; a larger `min_count` is stricter).
- *Reverse KL* is KL(q || p) in nats between q, the share of high-quality samples at each mode, and p, the true
  mode weights (uniform for ring8 and grid25): 0 when the samples spread like the data, log K when one mode has all.
- *Precision*: the share of samples inside the k-NN balls of the real points; *recall*: the share of real points
  inside the k-NN balls of the samples.
"""
from __future__ import annotations

import numpy as np
import torch


def nearest_modes(samples: np.ndarray, modes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each sample (N, 2): the index of its nearest mode and the distance to it."""
    distances = np.linalg.norm(np.asarray(samples, dtype=float)[:, None, :] - np.asarray(modes)[None], axis=2)
    index = distances.argmin(1)
    return index, distances[np.arange(len(index)), index]


def mode_metrics(samples: np.ndarray, modes: np.ndarray, mode_std: float, min_count: int = 1,
                 weights: np.ndarray | None = None) -> dict:
    """modes covered (of K), the share of high-quality samples, reverse KL of the mode histogram, and the histogram."""
    k = len(modes)
    index, distance = nearest_modes(samples, modes)
    good = distance <= 3 * mode_std
    counts = np.bincount(index[good], minlength=k)
    p = np.full(k, 1 / k) if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    if counts.sum():
        q = counts / counts.sum()
        nonzero = q > 0
        reverse_kl = float((q[nonzero] * np.log(q[nonzero] / p[nonzero])).sum())
    else:
        q, reverse_kl = np.zeros(k), float("inf")
    return {"modes_covered": int((counts >= min_count).sum()), "num_modes": k,
            "high_quality": float(good.mean()) if len(good) else 0.0,
            "reverse_kl": reverse_kl, "mode_histogram": q.tolist()}


def knn_radii(points, k: int = 5) -> torch.Tensor:
    """Each point's distance to its k-th nearest neighbour within its own set (N,)."""
    points = torch.as_tensor(np.asarray(points), dtype=torch.float32)
    distances = torch.cdist(points, points)
    return distances.kthvalue(k + 1, dim=1).values  # k + 1: each point is its own nearest neighbour


def precision_recall(samples: np.ndarray, real: np.ndarray, k: int = 5, real_radii: torch.Tensor | None = None) -> dict:
    """k-NN precision and recall (Kynkäänniemi et al., 2019): the real and the generated manifolds are
    approximated by balls reaching each point's k-th nearest neighbour in its own set. `real_radii` (from
    `knn_radii(real, k)`) can be passed in when the same real points are scored again and again."""
    fake = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
    true = torch.as_tensor(np.asarray(real), dtype=torch.float32)
    real_radii = knn_radii(true, k) if real_radii is None else real_radii
    fake_radii = knn_radii(fake, k)
    cross = torch.cdist(fake, true)                       # (n_fake, n_real)
    precision = (cross <= real_radii[None]).any(1).float().mean()
    recall = (cross.T <= fake_radii[None]).any(1).float().mean()
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage(samples: np.ndarray, real: np.ndarray, k: int = 5,
                     real_radii: torch.Tensor | None = None) -> dict:
    """Density and coverage (Naeem et al., 2020, eq. 3-4), which k-NN precision and recall overstate on outliers:
    with r_i the distance from real point X_i to its k-th nearest real neighbour,
        density  = 1/(kM) sum_j sum_i 1[||Y_j - X_i|| <= r_i]   (how many real balls each sample lies in, / k)
        coverage = 1/N sum_i 1[exists j: ||Y_j - X_i|| <= r_i]  (the share of real balls holding a sample).
    Only real points draw balls, so a generator of noise (whose own k-NN balls are huge and give k-NN recall 1) has
    coverage near 0; the test set against the training set has density near 1 and coverage 1 - 2^-k or so."""
    fake = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
    true = torch.as_tensor(np.asarray(real), dtype=torch.float32)
    real_radii = knn_radii(true, k) if real_radii is None else real_radii
    inside = torch.cdist(fake, true) <= real_radii[None]  # (n_fake, n_real)
    return {"density": float(inside.float().sum() / (k * len(fake))), "coverage": float(inside.any(0).float().mean())}


def point_metrics(samples: torch.Tensor, dataset, max_real: int = 2000, real_radii: torch.Tensor | None = None) -> dict:
    """Everything above for samples (N, 2) of a 2-D toy: the mode metrics where the toy has modes, and k-NN
    precision/recall against its first `max_real` held-out points (whose k-NN radii may be given)."""
    samples = np.asarray(samples, dtype=float)
    out = {}
    if dataset.modes is not None:
        found = mode_metrics(samples, dataset.modes, dataset.mode_std)
        out = {k: found[k] for k in ("modes_covered", "num_modes", "high_quality", "reverse_kl")}
    if np.isfinite(samples).all():
        out.update(precision_recall(samples, dataset.x_test[:max_real].numpy(), real_radii=real_radii))
    return out
