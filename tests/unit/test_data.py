import hashlib

import numpy as np
import pytest
from gen_core.device import make_generator
import torch
from PIL import Image

from gen_core.data import dataset_names, load_dataset
from gen_core.data import images as image_sets
from gen_core.data.shapes import CLASS_NAMES, build_arrays
from gen_core.data.toys import TOYS, load_toy
from gen_core.errors import DatasetUnavailable, GenLabError


def test_digits_shape_range_and_fixed_split():
    d = load_dataset("digits")
    assert d.kind == "image" and d.shape == (1, 8, 8)
    assert len(d.x_train) == 1437 and len(d.x_test) == 360
    assert d.x_train.min() == -1 and d.x_train.max() == 1
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    assert sorted(d.y_test.unique().tolist()) == list(range(10))
    # the split is fixed: a second, uncached load gives the same test set
    again = image_sets.load_digits()
    assert torch.equal(d.x_test, again.x_test)


@pytest.mark.parametrize("name", list(TOYS))
def test_toys_are_points_and_deterministic(name):
    d = load_dataset(name)
    assert d.kind == "points" and d.shape == (2,)
    assert len(d.x_train) == 8000 and len(d.x_test) == 2000
    assert torch.isfinite(d.x_train).all()
    assert torch.equal(d.x_train, load_toy(name).x_train)  # rebuilt from scratch: the same points


def test_ring8_and_grid25_match_their_definitions():
    ring = load_dataset("ring8")
    assert ring.modes.shape == (8, 2) and ring.mode_std == 0.01
    np.testing.assert_allclose(np.linalg.norm(ring.modes, axis=1), 1.0)
    offsets = ring.x_train.numpy() - ring.modes[ring.y_train.numpy()]
    assert abs(offsets.std() - 0.01) < 0.001
    grid = load_dataset("grid25")
    assert grid.modes.shape == (25, 2) and grid.mode_std == 0.05
    assert sorted(set(grid.modes[:, 0])) == [-4, -2, 0, 2, 4]


def test_shapes_is_deterministic_balanced_and_in_range():
    d = load_dataset("shapes")
    assert d.shape == (1, 28, 28) and d.class_names == CLASS_NAMES
    assert len(d.x_train) == 6000 and len(d.x_test) == 1000
    assert torch.bincount(d.y_train).tolist() == [600] * 10
    assert d.x_train.min() >= -1 and d.x_train.max() <= 1
    # rebuilt from its seed, the first images are byte-identical to the cached set
    x, y = build_arrays(2, np.random.default_rng(28))
    stored = ((d.x_train[:20, 0] + 1) * 127.5).round().to(torch.uint8).numpy()
    assert hashlib.sha256(x.tobytes()).hexdigest() == hashlib.sha256(stored.tobytes()).hexdigest()


def test_batches_cover_the_epoch_once():
    d = load_dataset("digits")
    seen = torch.cat([y for _, y in d.batches(100, make_generator(0))])
    assert len(seen) == len(d.y_train)
    assert torch.equal(seen.sort().values, d.y_train.sort().values)


def test_unknown_dataset_names_the_choices():
    with pytest.raises(GenLabError, match="unknown dataset 'cifar'.*digits"):
        load_dataset("cifar")
    assert "shapes" in dataset_names() and "folder:PATH" in dataset_names()


def test_mnist_without_files_or_network_says_where_to_put_them(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    def no_network(self, *args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: no route to host")
    monkeypatch.setattr(tvd.MNIST, "download", no_network)
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("mnist", data_root=tmp_path / "nowhere")
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "nowhere" / "MNIST" / "raw") in message
    assert "--data-root" in message


def test_mnist_reads_local_idx_files(tmp_path):
    """A data root holding MNIST's raw idx files loads offline, scaled to [-1, 1]."""
    import struct
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 6), ("t10k", 4)):
        pixels = (np.arange(n * 28 * 28) % 256).astype(np.uint8)
        with open(raw / f"{prefix}-images-idx3-ubyte", "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + pixels.tobytes())
        with open(raw / f"{prefix}-labels-idx1-ubyte", "wb") as f:
            f.write(struct.pack(">II", 2049, n) + (np.arange(n) % 10).astype(np.uint8).tobytes())
    d = load_dataset("mnist", data_root=tmp_path)
    assert d.shape == (1, 28, 28) and len(d.x_train) == 6 and len(d.x_test) == 4
    assert d.x_train.min() == -1 and d.x_train.max() == 1
    # pointing at MNIST/ or at MNIST/raw, where the files are, works as well
    for root in (tmp_path / "MNIST", raw):
        assert len(load_dataset("mnist", data_root=root).x_train) == 6


def test_image_folder_loads_classes_and_skips_bad_files(tmp_path):
    for label, colour in (("cats", 40), ("dogs", 200)):
        (tmp_path / label).mkdir()
        for k in range(5):
            Image.new("L", (20 + k, 17), colour).save(tmp_path / label / f"{k}.png")
    (tmp_path / "dogs" / "broken.png").write_bytes(b"not a png")
    d = load_dataset(f"folder:{tmp_path}")
    assert d.class_names == ("cats", "dogs") and d.shape == (1, 32, 32)
    assert len(d.x_train) + len(d.x_test) == 10
    assert "skipped 1" in d.description
    cats = torch.cat([d.x_train[d.y_train == 0], d.x_test[d.y_test == 0]])
    assert torch.allclose(cats, torch.full_like(cats, 40 / 127.5 - 1), atol=1e-5)


@pytest.mark.parametrize("make", ["missing", "empty", "no_images"])
def test_bad_image_folders_are_clear_errors(tmp_path, make):
    path = tmp_path / "data"
    if make != "missing":
        path.mkdir()
    if make == "no_images":
        (path / "a").mkdir()
        (path / "a" / "notes.txt").write_text("hello")
    with pytest.raises(GenLabError, match=str(path)):
        load_dataset(f"folder:{path}")


def test_pictures_are_read_at_the_models_size_and_bad_files_are_refused(tmp_path):
    import io

    from gen_core.data.images import image_from_file
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (255, 255, 255)).save(picture, format="PNG")
    picture.seek(0)
    x = image_from_file(picture, (1, 8, 8))
    assert x.shape == (1, 8, 8) and torch.allclose(x, torch.ones_like(x))
    picture.seek(0)
    assert image_from_file(picture, (3, 28, 28)).shape == (3, 28, 28)
    bad = io.BytesIO(b"<html>not a picture</html>")
    bad.name = "evil.png"
    with pytest.raises(GenLabError, match="could not read evil.png as an image"):
        image_from_file(bad, (1, 8, 8))


def test_the_cached_digits_split_equals_scikit_learns(genlab_home):
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    first = image_sets.load_digits()                      # builds and caches
    assert (genlab_home / "data" / "digits-split-v1.npz").exists()
    cached = image_sets.load_digits()                     # from the cache
    bunch = sk_load_digits()
    _, x_test, _, y_test = train_test_split(bunch.data, bunch.target, test_size=0.2, stratify=bunch.target,
                                            random_state=0)
    for d in (first, cached):
        assert torch.equal(d.y_test, torch.from_numpy(y_test.astype(np.int64)))
        assert torch.allclose(d.x_test.flatten(1), torch.from_numpy(x_test.astype(np.float32) / 8 - 1))


def write_idx(folder, prefix: str, n: int, gz: bool = False):
    """Fashion-MNIST-shaped IDX files (n images of 28x28, labels 0..9) in `folder`."""
    import gzip
    import struct
    folder.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if gz else open
    suffix = ".gz" if gz else ""
    with opener(folder / f"{prefix}-images-idx3-ubyte{suffix}", "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + (np.arange(n * 784) % 256).astype(np.uint8).tobytes())
    with opener(folder / f"{prefix}-labels-idx1-ubyte{suffix}", "wb") as f:
        f.write(struct.pack(">II", 2049, n) + (np.arange(n) % 10).astype(np.uint8).tobytes())


def test_fashion_mnist_is_found_where_it_lies(tmp_path, monkeypatch):
    """An explicit data root (torchvision's layout), else Debian's folder (gzipped), else the shipped test set."""
    from gen_core.data.images import load_fashion_mnist
    write_idx(tmp_path / "root" / "FashionMNIST" / "raw", "train", 6)
    write_idx(tmp_path / "root" / "FashionMNIST" / "raw", "t10k", 4)
    d = load_dataset("fashion-mnist", data_root=tmp_path / "root")
    assert len(d.x_train) == 6 and len(d.x_test) == 4 and d.class_names[0] == "T-shirt/top"
    debian = tmp_path / "debian"
    write_idx(debian, "train", 5, gz=True)
    write_idx(debian, "t10k", 3, gz=True)
    monkeypatch.setenv("GENLAB_FASHION_MNIST_DIR", str(debian))
    monkeypatch.setenv("GENLAB_HOME", str(tmp_path / "home"))
    found = load_fashion_mnist(None)
    assert (len(found.x_train), len(found.x_test)) == (5, 3) and str(debian) in found.description
    monkeypatch.setenv("GENLAB_FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    shipped = load_fashion_mnist(None)  # a fresh clone without the package: the 10,000 shipped test images
    assert len(shipped.x_train) == 0 and len(shipped.x_test) == 10_000 and "apt-get install" in shipped.description
    assert np.bincount(shipped.y_test.numpy()).tolist() == [1000] * 10
    assert shipped.x_test.min() == -1 and shipped.x_test.max() == 1


def test_fashion_mnist_without_its_training_images_says_how_to_train(tmp_path, monkeypatch):
    from gen_core import train
    from gen_core.data.images import load_fashion_mnist
    monkeypatch.setenv("GENLAB_FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GENLAB_HOME", str(tmp_path / "home"))
    with pytest.raises(GenLabError, match="apt-get install dataset-fashion-mnist"):
        train.train("vae", load_fashion_mnist(None), epochs=1)


@pytest.mark.parametrize("damage", ["not gzip", "truncated", "wrong header"])
def test_damaged_fashion_mnist_files_are_one_line(damage, tmp_path, monkeypatch):
    from gen_core.data.images import load_fashion_mnist
    folder = tmp_path / "debian"
    write_idx(folder, "train", 5, gz=True)
    write_idx(folder, "t10k", 3, gz=True)
    target = folder / "train-images-idx3-ubyte.gz"
    if damage == "not gzip":
        target.write_bytes(b"plain bytes")
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:40])
    else:
        import gzip
        target.write_bytes(gzip.compress(b"\x00\x00\x0d\x03" + bytes(100)))
    monkeypatch.setenv("GENLAB_FASHION_MNIST_DIR", str(folder))
    monkeypatch.setenv("GENLAB_HOME", str(tmp_path / "home"))
    with pytest.raises(DatasetUnavailable) as error:
        load_fashion_mnist(None)
    message = str(error.value)
    assert "\n" not in message and "train-images-idx3-ubyte.gz" in message and "apt-get install" in message
