"""2-D toy distributions, generated with a fixed seed so every run sees the same points.

`ring8` and `grid25` follow the mode-collapse benchmarks of VEEGAN and PacGAN (a mixture of Gaussians whose modes
a GAN can drop); the others are the usual shapes from the density-estimation literature (two moons, swiss roll,
concentric rings, checkerboard, spiral).
"""
from __future__ import annotations

import numpy as np
import torch

N_TRAIN, N_TEST = 8000, 2000


def _ring8(n: int, rng: np.random.Generator):
    # 8 Gaussians, std 0.01, on a circle of radius 1.
    angles = np.arange(8) * 2 * np.pi / 8
    modes = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = rng.integers(0, 8, n)
    return modes[y] + 0.01 * rng.standard_normal((n, 2)), y, modes, 0.01


def _grid25(n: int, rng: np.random.Generator):
    # 25 Gaussians, std 0.05, at {-4, -2, 0, 2, 4}^2.
    ticks = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    modes = np.array([(a, b) for a in ticks for b in ticks])
    y = rng.integers(0, 25, n)
    return modes[y] + 0.05 * rng.standard_normal((n, 2)), y, modes, 0.05


def _moons(n, rng):
    from sklearn import datasets as skd  # late: scikit-learn costs ~2 s to import, and most pages never need it
    x, y = skd.make_moons(n, noise=0.05, random_state=int(rng.integers(2**31)))
    return x - [0.5, 0.25], y, None, None


def _swissroll(n, rng):
    from sklearn import datasets as skd
    x3, t = skd.make_swiss_roll(n, noise=0.3, random_state=int(rng.integers(2**31)))
    x = x3[:, [0, 2]] / 5.0
    # Label by how far along the roll a point lies: four bands from the centre outward.
    y = np.digitize(t, np.quantile(t, [0.25, 0.5, 0.75]))
    return x, y, None, None


def _rings(n, rng):
    from sklearn import datasets as skd
    x, y = skd.make_circles(n, noise=0.03, factor=0.5, random_state=int(rng.integers(2**31)))
    return x * 2, y, None, None


def _checkerboard(n, rng):
    # Uniform over the 8 dark squares of a 4x4 board on [-2, 2]^2.
    cells = np.array([(i, j) for i in range(4) for j in range(4) if (i + j) % 2 == 0])
    y = rng.integers(0, len(cells), n)
    x = cells[y] + rng.random((n, 2)) - 2.0
    return x, y, None, None


def _spiral(n, rng):
    # Two interleaved arms, r growing with the angle; label = arm.
    y = rng.integers(0, 2, n)
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    r = t / (3 * np.pi) * 2
    angle = t + np.pi * y
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) + 0.04 * rng.standard_normal((n, 2))
    return x, y, None, None


TOYS = {
    "ring8": (_ring8, "8 Gaussians (std 0.01) on a circle of radius 1: the classic mode-collapse test"),
    "grid25": (_grid25, "25 Gaussians (std 0.05) on a 5x5 grid at {-4,-2,0,2,4}^2"),
    "moons": (_moons, "two interleaving half circles"),
    "swissroll": (_swissroll, "a 2-D swiss roll, labelled by band along the roll"),
    "rings": (_rings, "two concentric rings"),
    "checkerboard": (_checkerboard, "uniform over the dark squares of a 4x4 checkerboard"),
    "spiral": (_spiral, "two interleaved spiral arms"),
}


def load_toy(name: str):
    from gen_core.data.dataset import Dataset

    make, description = TOYS[name]
    # Seed from the name (not hash(), which Python salts per process) so each toy is the same everywhere.
    rng = np.random.default_rng(sum(map(ord, name)))
    x, y, modes, std = make(N_TRAIN + N_TEST, rng)
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    n_classes = int(y.max()) + 1
    prefix = "mode" if modes is not None else "part"
    return Dataset(
        name=name, kind="points",
        x_train=x[:N_TRAIN], y_train=y[:N_TRAIN], x_test=x[N_TRAIN:], y_test=y[N_TRAIN:],
        class_names=tuple(f"{prefix} {k}" for k in range(n_classes)),
        description=description, modes=modes, mode_std=std,
    )
