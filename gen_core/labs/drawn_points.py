"""Points drawn by hand on the 2-D Playground's canvas: blobs where a visitor clicks, and regions filled inside
the polygons they lasso."""
from __future__ import annotations

import numpy as np

CANVAS = (-2.0, 2.0, -2.0, 2.0)


def blob(centre, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """n points around a clicked centre, Gaussian with std `spread`: (n, 2)."""
    return np.asarray(centre, dtype=float)[None] + spread * rng.standard_normal((n, 2))


def inside_polygon(points: np.ndarray, xs, ys) -> np.ndarray:
    """Even-odd rule: is each point (N, 2) inside the polygon with vertices (xs, ys)?"""
    px, py = points[:, 0:1], points[:, 1:2]
    x0, y0 = np.asarray(xs, float)[None], np.asarray(ys, float)[None]
    x1, y1 = np.roll(x0, -1, axis=1), np.roll(y0, -1, axis=1)
    crosses = ((y0 > py) != (y1 > py)) & (px < (x1 - x0) * (py - y0) / np.where(y1 == y0, 1e-12, y1 - y0) + x0)
    return crosses.sum(1) % 2 == 1


def fill_region(xs, ys, density: float, rng: np.random.Generator, max_points: int = 2000) -> np.ndarray:
    """Uniform points inside a lasso polygon (or a box given as its 4 corners): `density` points per unit area."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    lo, hi = np.array([xs.min(), ys.min()]), np.array([xs.max(), ys.max()])
    area_box = float(np.prod(hi - lo))
    if area_box <= 0:
        return np.zeros((0, 2))
    candidates = lo + (hi - lo) * rng.random((min(max_points * 4, max(8, int(density * area_box * 2))), 2))
    kept = candidates[inside_polygon(candidates, xs, ys)]
    polygon_area = area_box * len(kept) / len(candidates)  # Monte Carlo: the share of the box inside
    return kept[:min(max_points, int(round(density * polygon_area)))]
