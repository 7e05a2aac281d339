"""One dataset registry with one return shape.

`load_dataset(name)` returns a `Dataset` for any registered name:

- images: `x` is float32 (N, C, H, W) scaled to [-1, 1]; `y` is int64 (N,)
- 2-D points: `x` is float32 (N, 2) in data coordinates; `y` names the mixture component or region a point came
  from, and `modes`/`mode_std` describe the mixture where there is one (for mode-coverage metrics).

Registered names: `digits`, `shapes` (procedural 28x28), the 2-D toys (`ring8`, `grid25`, `moons`, `swissroll`,
`rings`, `checkerboard`, `spiral`), `mnist` (torchvision, from `data_root` or a download), `fashion-mnist` (a data root, Debian's
`dataset-fashion-mnist` or the shipped test images: gen_core/data/idx.py), and
`folder:PATH` (one subfolder per class, resized to 32x32; `folderN:PATH` resizes to NxN, N from 8 to 128),
`digits-binary` / `shapes-binary` (every pixel -1 or 1: the discrete images exact likelihoods are compared on),
`digits-4x4` (the digits averaged down, a diffusion cascade's first stage),
and the sequences of gen_core/data/sequences.py: `text:genesis` (kind "text": windows of character codes) and
`series` (kind "sequence": (N, T, 1) procedural time series in three classes).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import torch

from gen_core.data.dataset import (DATA_ROOTS_ENV, FOLDER_NAME, FOLDER_PREFIX, FOLDER_SIZES, Dataset,  # noqa: F401
                                   allowed_data_roots, default_data_root, folder_name, genlab_home, parse_folder)
from gen_core.errors import GenLabError


IMAGE_SETS = ("digits", "shapes", "mnist", "fashion-mnist")
BINARY_SUFFIX = "-binary"  # digits-binary, shapes-binary: every pixel -1 or 1 (grey > 0 is ink), for exact likelihoods


def dataset_names() -> list[str]:
    """Every registered name (folders are open-ended and listed as `folder:PATH`)."""
    from gen_core.data.toys import TOYS
    from gen_core.data.sequences import text_names
    return (list(IMAGE_SETS) + [f"{name}{BINARY_SUFFIX}" for name in IMAGE_SETS[:2]] + ["digits-4x4"] + list(TOYS)
            + [FOLDER_PREFIX + "PATH", "points:NAME"] + text_names() + ["series"])


def load_card_dataset(name: str) -> Dataset:
    """The dataset a checkpoint card names. A card is a file anyone can hand over, so a `folder:` set it names
    must lie inside `allowed_data_roots()` once links and `..` are resolved: a card must never make the server
    read a folder of its choosing (`folder:../../../../usr/share`). Registered sets load as usual."""
    name = name.strip()
    folder_set = parse_folder(name)
    if folder_set is not None:
        folder = Path(folder_set[0]).expanduser().resolve()
        roots = allowed_data_roots()
        if not any(folder.is_relative_to(root.resolve()) for root in roots):
            raise GenLabError(f"this checkpoint's card names the image folder {str(folder)!r}, outside the data "
                              f"folders this server reads ({', '.join(str(r) for r in roots)}); put the images "
                              f"under {roots[0]} or add their folder to {DATA_ROOTS_ENV}")
    if name in IMAGE_SETS[2:]:  # MNIST / Fashion-MNIST: from whichever allowed data folder holds the files
        from gen_core.data.images import TORCHVISION, torchvision_root
        class_name = TORCHVISION[name][0]
        for root in allowed_data_roots():
            raw = torchvision_root(root.expanduser(), class_name) / class_name / "raw"
            if raw.is_dir() and any(raw.iterdir()):
                return load_dataset(name, root)
    return load_dataset(name)


def load_dataset(name: str, data_root: str | os.PathLike | None = None) -> Dataset:
    """Load a registered dataset by name; see the module docstring. Raises GenLabError for an unknown name and
    DatasetUnavailable when the data cannot be found or fetched. Results are cached per process: treat the
    tensors as read-only."""
    root = str(Path(data_root).expanduser()) if data_root else None
    return _load_cached(name.strip(), root)


@functools.lru_cache(maxsize=16)
def _load_cached(name: str, root: str | None) -> Dataset:
    from gen_core.data import images, shapes, toys

    if name == "digits":
        return images.load_digits()
    if name in (f"{base}{BINARY_SUFFIX}" for base in IMAGE_SETS[:2]):
        return binarised(_load_cached(name[:-len(BINARY_SUFFIX)], root))
    if name == "digits-4x4":  # the low-resolution stage of a diffusion cascade (gen_core/models/cascade.py)
        return downsampled(_load_cached("digits", root), 4)
    if name.startswith("text:"):
        from gen_core.data import sequences
        return sequences.load_text(name[len("text:"):])
    if name == "series":
        from gen_core.data import sequences
        return sequences.load_series()
    if name == "shapes":
        return shapes.load_shapes()
    if name == "fashion-mnist":  # a data root, Debian's package, or the shipped test images (data/idx.py)
        return images.load_fashion_mnist(Path(root) if root else None)
    if name == "mnist":
        return images.load_torchvision(name, Path(root) if root else default_data_root())
    folder_set = parse_folder(name)
    if folder_set is not None:
        path, size = folder_set
        if not path:
            raise GenLabError("folder: needs a path, as in folder:~/pictures (one subfolder per class)")
        return images.load_folder(Path(path).expanduser(), size)
    if name in toys.TOYS:
        return toys.load_toy(name)
    if name.startswith("points:"):  # your own 2-D points (gen_core/data/point_sets.py)
        from gen_core.data import point_sets
        return point_sets.load(name[len(point_sets.PREFIX):])
    raise GenLabError(f"unknown dataset {name!r}; choose one of {', '.join(dataset_names())}")


def limited(dataset: Dataset, n: int, seed: int = 0) -> Dataset:
    """The same data set with only `n` training examples, as many of each class as can be (a seeded, stratified
    draw, so `train --train-limit N` and `evaluate` of its checkpoint see the same N); the test split is unchanged.
    For the syllabus's "GANs require a large dataset": the same model trained on 100, 1,000 and all images."""
    import dataclasses

    if not 1 <= n <= len(dataset.x_train):
        raise GenLabError(f"--train-limit must be between 1 and {len(dataset.x_train)} (the training examples of "
                          f"{dataset.name}), not {n}")
    if n == len(dataset.x_train):
        return dataset
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(dataset.x_train), generator=generator)
    labels = dataset.y_train[order]
    # round-robin over the classes: take the next unused example of each class in turn
    rank = torch.zeros_like(labels)
    for k in labels.unique():
        where = labels == k
        rank[where] = torch.arange(int(where.sum()))
    pick = order[torch.argsort(rank * (int(labels.max()) + 1) + labels, stable=True)[:n]]
    return dataclasses.replace(dataset, x_train=dataset.x_train[pick], y_train=dataset.y_train[pick],
                               description=f"{dataset.description}; {n} training examples of them")


def binarised(dataset: Dataset) -> Dataset:
    """The same images with every pixel at -1 or 1 (ink where the grey level is above the middle): the discrete
    data on which an autoregressive model, a flow (dequantised), a VAE and diffusion give comparable
    log-likelihoods, as binarised MNIST does in the literature."""
    def binary(x):
        return torch.where(x > 0, 1.0, -1.0).to(torch.float32)
    return Dataset(name=dataset.name + BINARY_SUFFIX, kind="image", x_train=binary(dataset.x_train),
                   y_train=dataset.y_train, x_test=binary(dataset.x_test), y_test=dataset.y_test,
                   class_names=dataset.class_names, description=dataset.description + ", binarised at mid-grey")


def downsampled(dataset: Dataset, side: int) -> Dataset:
    """The same images averaged down to side x side (2x2 pooling of the 8x8 digits: 4x4)."""
    import torch.nn.functional as F

    return Dataset(name=f"{dataset.name}-{side}x{side}", kind="image",
                   x_train=F.adaptive_avg_pool2d(dataset.x_train, side), y_train=dataset.y_train,
                   x_test=F.adaptive_avg_pool2d(dataset.x_test, side), y_test=dataset.y_test,
                   class_names=dataset.class_names, description=dataset.description + f", averaged to {side}x{side}")


def images_to_unit(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images to [0, 1], the range files and screens use."""
    return ((x + 1) / 2).clamp(0, 1)
