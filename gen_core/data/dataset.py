"""What every dataset is (`Dataset`) and where data lives: $GENLAB_HOME, the data roots a card may name, and the
`folder:PATH` / `folderN:PATH` names of image folders. The bottom of gen_core/data: its loaders import this."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from gen_core.errors import GenLabError

FOLDER_IMAGE_SIZE = 32
FOLDER_PREFIX = "folder:"
FOLDER_NAME = re.compile(r"^folder(\d{1,3})?:(.*)$", re.S)
FOLDER_SIZES = (8, 128)


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    kind: str                      # "image", "points", "text" (character codes) or "sequence" (N, T, 1)
    x_train: torch.Tensor          # (N, C, H, W) in [-1, 1], or (N, 2) points
    y_train: torch.Tensor          # (N,) int64
    x_test: torch.Tensor
    y_test: torch.Tensor
    class_names: tuple[str, ...]
    description: str
    modes: np.ndarray | None = field(default=None)  # (K, 2) mixture centres of a 2-D toy, if it has them
    mode_std: float | None = None
    vocabulary: str = ""           # a text set's characters, in code order (gen_core/data/sequences.py)

    @property
    def shape(self) -> tuple[int, ...]:
        """One sample's shape: (C, H, W) for images, (2,) for points."""
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def batches(self, batch_size: int, generator: torch.Generator, split: str = "train"):
        """Shuffled (x, y) mini-batches over one epoch; the last, smaller batch is kept."""
        x, y = (self.x_train, self.y_train) if split == "train" else (self.x_test, self.y_test)
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            yield x[index], y[index]


def parse_folder(name: str) -> tuple[str, int] | None:
    """(path, image side) for `folder:PATH` (32) or `folderN:PATH`, or None for any other name."""
    match = FOLDER_NAME.match(name.strip())
    if match is None:
        return None
    size = int(match.group(1)) if match.group(1) else FOLDER_IMAGE_SIZE
    if not FOLDER_SIZES[0] <= size <= FOLDER_SIZES[1]:
        raise GenLabError(f"folder{size}: images can be resized to {FOLDER_SIZES[0]}..{FOLDER_SIZES[1]} pixels a "
                          f"side, not {size}")
    return match.group(2).strip(), size


def folder_name(path, size: int) -> str:
    """The data set name of an image folder at a size: folder:PATH at the default 32, else folderN:PATH."""
    return f"folder:{path}" if size == FOLDER_IMAGE_SIZE else f"folder{size}:{path}"


def default_data_root() -> Path:
    """Where torchvision datasets are looked for and downloaded to: $GENLAB_HOME/data."""
    return genlab_home() / "data"


def genlab_home() -> Path:
    """The user's own GenLab folder (checkpoints, caches, data): $GENLAB_HOME or ~/.cache/genlab."""
    return Path(os.environ.get("GENLAB_HOME") or Path.home() / ".cache" / "genlab").expanduser()


DATA_ROOTS_ENV = "GENLAB_DATA_ROOTS"


def allowed_data_roots() -> list[Path]:
    """The folders whose image sets a checkpoint card may name: $GENLAB_HOME/data, plus the folders listed in
    $GENLAB_DATA_ROOTS (separated like PATH)."""
    extra = [Path(p).expanduser() for p in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    return [default_data_root(), *extra]
