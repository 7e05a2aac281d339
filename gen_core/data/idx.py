"""IDX files (LeCun's format for MNIST and Fashion-MNIST), read with NumPy, gzipped or not.

Fashion-MNIST reaches a machine three ways, looked for in this order (`find_fashion_mnist`):
1. the torchvision layout under a data root (DATA_ROOT/FashionMNIST/raw/*-ubyte[.gz]), as `--data-root` gives it;
2. Debian's package `dataset-fashion-mnist` (`apt-get install dataset-fashion-mnist`), whose four .gz files lie in
   /usr/share/datasets/fashion-mnist/ (`GENLAB_FASHION_MNIST_DIR` points elsewhere);
3. the 10,000 test images shipped in assets/data/fashion-mnist/ (MIT licence, Zalando SE), so maps, nearest
   neighbours and "pick a test image" work on a fresh clone. Training needs (1) or (2).

IDX: a big-endian header (two zero bytes, a type code 0x08 for unsigned bytes, the number of dimensions), one
big-endian uint32 per dimension, then the data row-major (http://yann.lecun.com/exdb/mnist/, "file formats").
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from gen_core.errors import DatasetUnavailable
from gen_core.shipped import ASSETS

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_DIR_ENV = "GENLAB_FASHION_MNIST_DIR"
SHIPPED_FASHION_MNIST = ASSETS / "data" / "fashion-mnist"
INSTALL_HINT = "apt-get install dataset-fashion-mnist"
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
UNSIGNED_BYTE = 0x08


def read_idx(path: Path) -> np.ndarray:
    """One IDX file of unsigned bytes as an array of its shape. Raises DatasetUnavailable, naming the file, when it
    is truncated, not gzip where it says so, or not IDX at all."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as file:
            raw = file.read()
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError; a truncated .gz raises EOFError
        raise DatasetUnavailable(f"{path} could not be read ({type(error).__name__}: {error}); reinstall it "
                                 f"({INSTALL_HINT})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != UNSIGNED_BYTE or not 1 <= raw[3] <= 4:
        raise DatasetUnavailable(f"{path} is not an IDX file of bytes (bad header); reinstall it ({INSTALL_HINT})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetUnavailable(f"{path} is truncated (its header is cut); reinstall it ({INSTALL_HINT})")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise DatasetUnavailable(f"{path} holds {len(raw) - header} bytes of data where its header promises {size} "
                                 f"{'x'.join(map(str, shape))}; reinstall it ({INSTALL_HINT})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def split_files(folder: Path, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of a split in `folder`, gzipped or not, or None when either is missing."""
    found = []
    for stem in FILES[split]:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            return None
    return found[0], found[1]


def read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 28, 28) uint8, labels (N,) uint8) of a split; both files must agree on N and labels be 0..9."""
    files = split_files(folder, split)
    if files is None:
        raise DatasetUnavailable(f"no {split} split in {folder}")
    images, labels = read_idx(files[0]), read_idx(files[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetUnavailable(f"{files[0]} and {files[1]} do not match ({images.shape} images, {labels.shape} "
                                 f"labels); reinstall them ({INSTALL_HINT})")
    if labels.size and labels.max() > 9:
        raise DatasetUnavailable(f"{files[1]} has a label {labels.max()} outside 0..9; reinstall it ({INSTALL_HINT})")
    return images, labels


def fashion_folders(data_root: Path | None) -> list[Path]:
    """Where Fashion-MNIST's files may lie, most specific first: the data root's torchvision layout, then Debian's
    folder (or $GENLAB_FASHION_MNIST_DIR)."""
    folders = []
    if data_root is not None:
        for candidate in (data_root / "FashionMNIST" / "raw", data_root / "raw", data_root):
            folders.append(candidate)
    folders.append(Path(os.environ.get(FASHION_DIR_ENV) or DEBIAN_FASHION_MNIST))
    return folders


def find_fashion_mnist(data_root: Path | None) -> tuple[Path | None, Path]:
    """(folder with the training split or None, folder with the test split): see the module docstring."""
    train = next((f for f in fashion_folders(data_root) if split_files(f, "train")), None)
    if train is not None and split_files(train, "test"):
        return train, train
    test = next((f for f in fashion_folders(data_root) if split_files(f, "test")), None)
    return train, test or SHIPPED_FASHION_MNIST
