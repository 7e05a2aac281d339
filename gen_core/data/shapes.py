"""`shapes`: a procedural, labelled 28x28 grey-scale image set, made offline and deterministically.

Ten classes of simple figures (disc, ring, square, frame, triangle, cross, star, bars, crescent, dots). Each image
draws one figure with a random position (within +-3 px of the centre), size, rotation, stroke width and
brightness, at 4x resolution with PIL and then downsampled with a Lanczos filter, so edges are anti-aliased
like MNIST's. Rotation is free for every class, so no two classes are rotations of each other: a frame is
hollow where a square is filled; a cross has four arms where a star has five points.

The set is the same on every machine: one seeded NumPy generator drives every choice in a fixed order. It is
cached as a compressed .npz under $GENLAB_HOME/data after the first build (about 3 s on one CPU core).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image, ImageDraw

CLASS_NAMES = ("disc", "ring", "square", "frame", "triangle", "cross", "star", "bars", "crescent", "dots")
PER_CLASS_TRAIN, PER_CLASS_TEST = 600, 100
SIZE, SCALE = 28, 4
VERSION = 1  # bump when the drawing changes, so stale caches are rebuilt
SEED = 28


def _polygon(cx, cy, radius, sides, angle, inner=None):
    """Vertices of a regular polygon (or a star when `inner` radius is given)."""
    points = []
    steps = sides * (2 if inner else 1)
    for k in range(steps):
        r = inner if inner and k % 2 else radius
        a = angle + 2 * math.pi * k / steps
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return points


def _rotated_rect(cx, cy, half_w, half_h, angle):
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + x * c - y * s, cy + x * s + y * c)
            for x, y in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h))]


def draw_shape(label: int, rng: np.random.Generator) -> np.ndarray:
    """One (28, 28) float image in [0, 1] of class `label`, every random choice taken from `rng`."""
    big = SIZE * SCALE
    image = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(image)
    cx = (SIZE / 2 + rng.uniform(-3, 3)) * SCALE
    cy = (SIZE / 2 + rng.uniform(-3, 3)) * SCALE
    r = rng.uniform(7, 10.5) * SCALE           # the figure's outer radius
    angle = rng.uniform(0, 2 * math.pi)
    stroke = int(rng.uniform(2, 3.2) * SCALE)  # line width for hollow figures
    ink = int(rng.uniform(180, 255))
    name = CLASS_NAMES[label]
    if name == "disc":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink)
    elif name == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=stroke)
    elif name == "square":
        draw.polygon(_polygon(cx, cy, r, 4, angle), fill=ink)
    elif name == "frame":
        draw.polygon(_polygon(cx, cy, r, 4, angle), outline=ink, width=stroke)
    elif name == "triangle":
        draw.polygon(_polygon(cx, cy, r, 3, angle), fill=ink)
    elif name == "cross":
        for a in (angle, angle + math.pi / 2):
            draw.polygon(_rotated_rect(cx, cy, r, stroke / 2, a), fill=ink)
    elif name == "star":
        draw.polygon(_polygon(cx, cy, r, 5, angle, inner=r * 0.42), fill=ink)
    elif name == "bars":
        gap = r * 0.62
        for k in (-1, 0, 1):
            ox, oy = -k * gap * math.sin(angle), k * gap * math.cos(angle)
            draw.polygon(_rotated_rect(cx + ox, cy + oy, r * 0.9, stroke / 2, angle), fill=ink)
    elif name == "crescent":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink)
        off = r * 0.55
        ox, oy = cx + off * math.cos(angle), cy + off * math.sin(angle)
        draw.ellipse((ox - r * 0.85, oy - r * 0.85, ox + r * 0.85, oy + r * 0.85), fill=0)
    elif name == "dots":
        d = r * 0.55
        for k in range(4):
            a = angle + k * math.pi / 2
            px, py = cx + d * math.cos(a), cy + d * math.sin(a)
            draw.ellipse((px - r * 0.32, py - r * 0.32, px + r * 0.32, py + r * 0.32), fill=ink)
    small = image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float32) / 255.0


def build_arrays(per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` images of every class, interleaved by class: (N, 28, 28) uint8 and (N,) labels."""
    labels = np.tile(np.arange(len(CLASS_NAMES)), per_class)
    images = np.stack([draw_shape(int(k), rng) for k in labels])
    return np.round(images * 255).astype(np.uint8), labels.astype(np.int64)


def _arrays() -> dict[str, np.ndarray]:
    from gen_core.data.dataset import genlab_home

    cache = genlab_home() / "data" / f"shapes-v{VERSION}.npz"
    if cache.exists():
        try:
            with np.load(cache) as stored:
                return {k: stored[k] for k in ("x_train", "y_train", "x_test", "y_test")}
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt below
    rng = np.random.default_rng(SEED)
    x_train, y_train = build_arrays(PER_CLASS_TRAIN, rng)
    x_test, y_test = build_arrays(PER_CLASS_TEST, rng)
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".tmp{np.random.default_rng().integers(1 << 30)}.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(cache)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only home still works, it just rebuilds each process
    return arrays


def load_shapes():
    from gen_core.data.dataset import Dataset

    a = _arrays()

    def to_tensor(x):  # uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1]
        return torch.from_numpy(x).float().div(127.5).sub(1).unsqueeze(1)

    return Dataset(
        name="shapes", kind="image",
        x_train=to_tensor(a["x_train"]), y_train=torch.from_numpy(a["y_train"]),
        x_test=to_tensor(a["x_test"]), y_test=torch.from_numpy(a["y_test"]),
        class_names=CLASS_NAMES,
        description="procedural 28x28 figures in 10 classes, 6000 train / 1000 test, generated offline",
    )
