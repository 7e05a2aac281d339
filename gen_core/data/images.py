"""Image datasets: scikit-learn's bundled digits, torchvision's MNIST / Fashion-MNIST, and image folders."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
from gen_core.device import make_generator
import torch
from gen_core.data.dataset import FOLDER_IMAGE_SIZE, Dataset, default_data_root, folder_name, genlab_home
from gen_core.errors import DatasetUnavailable, GenLabError

DIGITS_SPLIT_SEED = 0
MIN_FOLDER_IMAGES = 10  # 8 to train on and 2 to test on, at the 80/20 split
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


DIGITS_CACHE_VERSION = 1


def _digits_split() -> dict[str, np.ndarray]:
    """scikit-learn's digits split 80/20, stratified, seed 0; cached as .npz so later processes skip importing
    scikit-learn (about 2 s of a cold start)."""

    cache = genlab_home() / "data" / f"digits-split-v{DIGITS_CACHE_VERSION}.npz"
    try:
        with np.load(cache) as stored:
            return {k: stored[k] for k in ("x_train", "x_test", "y_train", "y_test")}
    except (OSError, ValueError, KeyError):
        pass  # not cached yet, or damaged: rebuild
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sk_load_digits()
    x = (bunch.data.astype(np.float32) / 8.0 - 1.0).reshape(-1, 1, 8, 8)  # 0..16 -> [-1, 1]
    y = bunch.target.astype(np.int64)
    parts = dict(zip(("x_train", "x_test", "y_train", "y_test"),
                     train_test_split(x, y, test_size=0.2, stratify=y, random_state=DIGITS_SPLIT_SEED)))
    tmp = cache.with_name(f".{cache.stem}.{os.getpid()}.npz")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(tmp, **parts)
        tmp.replace(cache)
    except OSError:  # read-only or full home: rebuild each process, and leave no half-written file behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return parts


def load_digits():
    """scikit-learn's 1,797 8x8 digits (grey levels 0..16), split 80/20, stratified, with a fixed seed."""

    a = _digits_split()
    return Dataset(
        name="digits", kind="image",
        x_train=torch.from_numpy(a["x_train"]), y_train=torch.from_numpy(a["y_train"]),
        x_test=torch.from_numpy(a["x_test"]), y_test=torch.from_numpy(a["y_test"]),
        class_names=tuple(str(k) for k in range(10)),
        description="scikit-learn's bundled 8x8 handwritten digits, 1437 train / 360 test",
    )


TORCHVISION = {
    "mnist": ("MNIST", tuple(str(k) for k in range(10))),
    "fashion-mnist": ("FashionMNIST", ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                       "Shirt", "Sneaker", "Bag", "Ankle boot")),
}


def torchvision_root(root: Path, class_name: str) -> Path:
    """The folder torchvision wants (it reads ROOT/MNIST/raw/...), from whichever folder a person points at: the
    parent of MNIST/, MNIST/ itself, or MNIST/raw where the files are (the last two used to fail)."""
    if root.name == "raw" and root.parent.name == class_name:
        return root.parent.parent
    if root.name == class_name and (root / "raw").is_dir():
        return root.parent
    return root


def load_fashion_mnist(root: Path | None):
    """Fashion-MNIST from wherever it lies (gen_core/data/idx.py). A data root given on purpose (`--data-root`) is the
    only place looked in: its files must be there. Without one: $GENLAB_HOME/data's torchvision layout, Debian's
    dataset-fashion-mnist, or the shipped test images alone. Without the training split the dataset has no
    training images and says so in its description; `train` refuses it with the command to install them."""
    from gen_core.data import idx

    if root is not None:
        folder = next((f for f in idx.fashion_folders(root)[:-1] if idx.split_files(f, "train")), None)
        if folder is None or not idx.split_files(folder, "test"):
            raise DatasetUnavailable(
                f"fashion-mnist is not in {root / 'FashionMNIST' / 'raw'}: put its four IDX files there "
                f"(train-images-idx3-ubyte[.gz], ...), or leave out --data-root to use Debian's package "
                f"({idx.INSTALL_HINT})")
        train_folder, test_folder = folder, folder
    else:
        train_folder, test_folder = idx.find_fashion_mnist(default_data_root())
    x_test, y_test = idx.read_split(test_folder, "test")
    if train_folder is not None:
        x_train, y_train = idx.read_split(train_folder, "train")
        where = f"from {train_folder}"
    else:
        x_train, y_train = np.zeros((0, 28, 28), np.uint8), np.zeros((0,), np.uint8)
        where = (f"the {len(x_test):,} test images shipped with GenLab only (no training images here: "
                 f"{idx.INSTALL_HINT} to train on it)")

    def to_tensor(images, labels):  # uint8 (N, 28, 28) -> (N, 1, 28, 28) in [-1, 1]
        x = torch.from_numpy(images.astype(np.float32)).div_(127.5).sub_(1).unsqueeze(1)
        return x, torch.from_numpy(labels.astype(np.int64))

    x_train, y_train = to_tensor(x_train, y_train)
    x_test, y_test = to_tensor(x_test, y_test)
    return Dataset(name="fashion-mnist", kind="image", x_train=x_train, y_train=y_train, x_test=x_test,
                   y_test=y_test, class_names=TORCHVISION["fashion-mnist"][1],
                   description=f"Zalando's Fashion-MNIST, 28x28 grey, {len(x_train):,} train / {len(x_test):,} "
                               f"test, {where}")


def load_torchvision(name: str, root: Path):
    """MNIST or Fashion-MNIST from `root`, downloading there if the files are missing and a network exists
    (set GENLAB_OFFLINE=1 to never try)."""
    import torchvision.datasets as tvd


    class_name, class_names = TORCHVISION[name]
    cls = getattr(tvd, class_name)
    root = torchvision_root(Path(root), class_name)
    splits = {}
    for train in (True, False):
        try:
            splits[train] = cls(str(root), train=train, download=False)
        except Exception as error:  # torchvision raises RuntimeError("Dataset not found...") for missing files
            if not (isinstance(error, RuntimeError) and "not found" in str(error).lower()):
                raise _damaged(name, root / class_name / "raw", error) from None
            # Missing: fetch them, where a network is allowed.
            try:
                if os.environ.get("GENLAB_OFFLINE"):
                    raise RuntimeError("GENLAB_OFFLINE is set, so no download was tried")
                root.mkdir(parents=True, exist_ok=True)
                splits[train] = cls(str(root), train=train, download=True)
            except Exception as error:  # no network, a proxy, a full disk: all mean "not available here"
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise DatasetUnavailable(
                    f"{name} is not in {root / class_name / 'raw'} and could not be downloaded ({reason}); "
                    f"put the four {class_name} idx files there (train-images-idx3-ubyte, ...), or pass "
                    f"--data-root DIR where DIR/{class_name}/raw holds them (DIR/{class_name} or that raw folder "
                    "itself work too)") from None

    def to_tensor(ds):  # uint8 (N, 28, 28) -> (N, 1, 28, 28) in [-1, 1]
        return ds.data.float().div(127.5).sub(1).unsqueeze(1), ds.targets.long()

    x_train, y_train = to_tensor(splits[True])
    x_test, y_test = to_tensor(splits[False])
    return Dataset(name=name, kind="image", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                   class_names=class_names, description=f"torchvision {class_name} from {root}")


def _damaged(name: str, folder: Path, error: Exception) -> DatasetUnavailable:
    """The IDX files exist but are truncated or not IDX at all (torchvision fails an assertion or a reshape)."""
    reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
    return DatasetUnavailable(f"the {name} files in {folder} are damaged or not IDX files ({reason}); replace "
                              f"them with the original train-images-idx3-ubyte, ... files")


def load_folder(path: Path, size: int = FOLDER_IMAGE_SIZE, seed: int = 0):
    """Any folder with one subfolder per class. Images are resized to size x size; grey-scale when every image
    is, RGB otherwise; split 80/20 with a fixed seed. Unreadable files are skipped and counted."""
    from PIL import Image, UnidentifiedImageError


    if not path.is_dir():
        raise GenLabError(f"image folder {str(path)!r} does not exist or is not a folder")
    class_dirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(class_dirs) < 1:
        raise GenLabError(f"image folder {str(path)!r} has no class subfolders; "
                          f"put images in {path}/<class name>/*.png")
    images, labels, skipped = [], [], 0
    for label, class_dir in enumerate(class_dirs):
        for file in sorted(class_dir.rglob("*")):
            # Regular files only: opening a FIFO named zz.png would wait forever for a writer.
            if file.suffix.lower() not in IMAGE_SUFFIXES or not file.is_file():
                continue
            try:
                with Image.open(file) as im:
                    im.load()
                    images.append(im.copy())
                labels.append(label)
            except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
                skipped += 1  # includes pictures so large that Pillow refuses them as decompression bombs
    if not images:
        raise GenLabError(f"image folder {str(path)!r} has no readable images "
                          f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    if len(images) < MIN_FOLDER_IMAGES:
        raise GenLabError(f"image folder {str(path)!r} has {len(images)} readable image(s); at least "
                          f"{MIN_FOLDER_IMAGES} are needed to train on some and test on others")
    grey = all(im.mode in ("1", "L", "LA", "I", "I;16") for im in images)
    mode, channels = ("L", 1) if grey else ("RGB", 3)
    arrays = [np.asarray(im.convert(mode).resize((size, size), Image.Resampling.BILINEAR), dtype=np.float32)
              for im in images]
    x = torch.from_numpy(np.stack(arrays)).reshape(len(arrays), size, size, channels).permute(0, 3, 1, 2)
    x = x.div(127.5).sub(1).contiguous()
    y = torch.tensor(labels, dtype=torch.int64)
    order = torch.randperm(len(x), generator=make_generator(seed))
    n_test = max(1, len(x) // 5) if len(x) > 1 else 0
    test, train = order[:n_test], order[n_test:]
    note = f"; skipped {skipped} unreadable file(s)" if skipped else ""
    return Dataset(name=folder_name(path, size), kind="image", x_train=x[train], y_train=y[train],
                   x_test=x[test], y_test=y[test], class_names=tuple(d.name for d in class_dirs),
                   description=f"{len(x)} images from {path} in {len(class_dirs)} classes{note}")


def image_from_file(file, shape: tuple[int, int, int]) -> torch.Tensor:
    """A picture (a path or a file-like object, e.g. an upload) as one (C, H, W) image in [-1, 1] at `shape`:
    converted to grey or RGB as the shape asks and resized. Raises GenLabError for anything that is not an image."""
    from PIL import Image, UnidentifiedImageError

    channels, height, width = shape
    try:
        with Image.open(file) as im:
            im = im.convert("L" if channels == 1 else "RGB").resize((width, height), Image.Resampling.BILINEAR)
            array = np.asarray(im, dtype=np.float32)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        name = getattr(file, "name", str(file))
        raise GenLabError(f"could not read {name} as an image ({type(error).__name__}); try a PNG or JPEG") from None
    return torch.from_numpy(array).reshape(height, width, channels).permute(2, 0, 1) / 127.5 - 1
