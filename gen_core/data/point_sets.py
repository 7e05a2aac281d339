"""Your own 2-D points as a data set: uploaded (`.csv` or `.npy`) or drawn on the 2-D Playground, stored under
$GENLAB_HOME/data/points/NAME.npy and named `points:NAME` (a name, never a path, so a card cannot point the
server at a file of its choosing)."""
from __future__ import annotations

import hashlib
import io
import re

import numpy as np
import torch

from gen_core.data.dataset import default_data_root
from gen_core.errors import GenLabError

PREFIX = "points:"
MIN_POINTS, MAX_POINTS = 20, 100_000
TEST_SHARE = 0.2


def root():
    return default_data_root() / "points"


def check_points(points) -> np.ndarray:
    points = np.asarray(points)
    if points.dtype.kind not in "fiu" or points.ndim != 2 or points.shape[1] != 2:
        raise GenLabError(f"2-D points must be an N x 2 array of numbers; got {points.shape} {points.dtype}")
    if not MIN_POINTS <= len(points) <= MAX_POINTS:
        raise GenLabError(f"{len(points)} points; between {MIN_POINTS} and {MAX_POINTS:,} are needed")
    points = points.astype(np.float32)
    if not np.isfinite(points).all():
        raise GenLabError(f"point {int(np.flatnonzero(~np.isfinite(points).all(1))[0])} is NaN or infinite")
    if float(points.std()) == 0.0:  # every family scales points by their spread: there would be nothing to learn
        raise GenLabError(f"all {len(points)} points are the same point; give points that differ")
    return points


def read_points_file(data: bytes, filename: str) -> np.ndarray:
    """N x 2 points from a .npy (allow_pickle off) or a .csv (its first two numeric columns)."""
    if filename.lower().endswith(".npy"):
        try:
            points = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise GenLabError(f"not a readable .npy array ({str(error)[:100]})") from None
    elif filename.lower().endswith(".csv"):
        import pandas as pd
        try:
            table = pd.read_csv(io.BytesIO(data)).select_dtypes("number")
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
            raise GenLabError(f"not a readable CSV ({str(error).splitlines()[0][:100]})") from None
        if table.shape[1] < 2:
            raise GenLabError("the CSV needs two numeric columns (x and y)")
        points = table.iloc[:, :2].to_numpy()
    else:
        raise GenLabError("2-D points must be a .csv or .npy file")
    return check_points(points)


def save(points, name: str = "") -> str:
    """Store points and return their data set name, `points:NAME`. Without a name, one from the contents (the
    same points drawn twice are stored once)."""
    points = check_points(points)
    from gen_core.data.uploads import safe_name
    name = safe_name(name or "drawn-" + hashlib.sha256(points.tobytes()).hexdigest()[:8])
    path = root() / f"{name}.npy"
    if path.exists():
        if np.array_equal(np.load(path), points):
            return PREFIX + name
        raise GenLabError(f"points named {name!r} exist already; choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{name}.saving.npy")
    np.save(staging, points)
    staging.replace(path)
    return PREFIX + name


def stored() -> list[str]:
    return sorted(PREFIX + p.stem for p in root().glob("*.npy") if not p.name.startswith(".")) \
        if root().is_dir() else []


def load(name: str):
    """The data set `points:NAME`: a seeded 80/20 split, one class."""
    from gen_core.data.dataset import Dataset
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}", name or ""):
        raise GenLabError(f"{name[:60]!r} is not a point set's name")
    path = root() / f"{name}.npy"
    if not path.is_file():
        raise GenLabError(f"no point set {name!r} on this server (they live in {root()})")
    points = check_points(np.load(path, allow_pickle=False))
    order = np.random.default_rng(0).permutation(len(points))
    cut = len(points) - max(1, int(len(points) * TEST_SHARE))
    x = torch.from_numpy(points[order])
    y = torch.zeros(len(points), dtype=torch.int64)
    return Dataset(name=PREFIX + name, kind="points", x_train=x[:cut], y_train=y[:cut], x_test=x[cut:],
                   y_test=y[cut:], class_names=("points",), description=f"your points {name}")
