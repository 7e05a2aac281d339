"""The reference network of real data sets people recognise (Fashion-MNIST): a small CNN trained once on the real
training images and shipped, which judges every model's samples (which class? how real, in its features?).

Digits and shapes are small enough for scikit-learn to fit a reference in seconds in every process
(gen_core/metrics.py: an RBF SVC for the classes, an MLP's hidden layer for features); 60,000 Fashion-MNIST images
are not, so this network is trained by

    python -m gen_core.reference fashion-mnist --epochs 4

and stored in assets/reference/NAME.safetensors with NAME.json (its test accuracy and per-class recall, the
command, the seed). Its 128 penultimate units are the features the Fréchet distance and k-NN precision / recall /
density / coverage are taken in (as Inception's pool features are for FID; Heusel et al., 2017).
"""
from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from gen_core.device import make_generator
from gen_core.shipped import ASSETS

REFERENCE_DIR = ASSETS / "reference"
TRAINED_ON = ("fashion-mnist",)  # data sets with a shipped reference network
FEATURES = 128


class ReferenceCNN(nn.Module):
    """conv 3x3 (32) - pool - conv 3x3 (64) - pool - 128 features - class logits, for 28x28 grey images."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.hidden = nn.Linear(64 * 7 * 7, FEATURES)
        self.out = nn.Linear(FEATURES, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.hidden(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))


class Reference:
    """A trained reference network with scikit-learn's `predict` on flattened images in [-1, 1] (what
    gen_core.metrics hands its classifiers) and `features` for the distribution measures."""

    def __init__(self, network: ReferenceCNN, card: dict):
        self.network = network.eval()
        self.card = card

    @torch.no_grad()
    def _batched(self, images, fn) -> np.ndarray:
        x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28).clamp(-1, 1)
        return np.concatenate([fn(x[i:i + 2000]).numpy() for i in range(0, len(x), 2000)] or
                              [np.zeros((0, FEATURES), np.float32)])

    def predict(self, flat_images) -> np.ndarray:
        return self._batched(flat_images, lambda x: self.network(x).argmax(1)).astype(np.int64)

    def features(self, images) -> np.ndarray:
        return self._batched(images, self.network.features)


@functools.lru_cache(maxsize=4)
def load(name: str) -> Reference | None:
    """The shipped reference network for data set `name`, or None when there is none."""
    weights, card = REFERENCE_DIR / f"{name}.safetensors", REFERENCE_DIR / f"{name}.json"
    if name not in TRAINED_ON or not weights.is_file() or not card.is_file():
        return None
    info = json.loads(card.read_text())
    network = ReferenceCNN(len(info["class_names"]))
    network.load_state_dict(load_file(str(weights)))
    return Reference(network, info)


def per_class_recall(predicted: np.ndarray, truth: np.ndarray, num_classes: int) -> list[float]:
    """For each class, the share of its real images read as that class."""
    return [float((predicted[truth == k] == k).mean()) if (truth == k).any() else float("nan")
            for k in range(num_classes)]


def train(dataset, epochs: int = 4, seed: int = 0, batch_size: int = 128, progress=None) -> tuple[ReferenceCNN, dict]:
    """Adam (lr 1e-3) on the real training images with small shifts (random crops of a 2-pixel padding); returns
    the network and its card (test accuracy and per-class recall on the real test images)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = ReferenceCNN(dataset.num_classes)
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-3)
    order, shifts = make_generator(seed), make_generator(seed + 1)
    started, steps = time.perf_counter(), 0
    for epoch in range(epochs):
        network.train()
        for x, y in dataset.batches(batch_size, order):
            padded = F.pad(x, (2, 2, 2, 2), value=-1.0)
            dx, dy = (int(v) for v in torch.randint(0, 5, (2,), generator=shifts))
            loss = F.cross_entropy(network(padded[:, :, dy:dy + 28, dx:dx + 28]), y)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            steps += 1
            if progress and steps % 50 == 0:
                progress(epoch, steps, float(loss))
    reference = Reference(network, {})
    predicted = reference.predict(dataset.x_test.flatten(1).numpy())
    truth = dataset.y_test.numpy()
    card = {"dataset": dataset.name, "class_names": list(dataset.class_names), "epochs": epochs, "seed": seed,
            "steps": steps, "train_seconds": round(time.perf_counter() - started, 1),
            "test_accuracy": float((predicted == truth).mean()),
            "per_class_recall": [round(r, 4) for r in per_class_recall(predicted, truth, dataset.num_classes)],
            "num_train": len(dataset.x_train), "num_test": len(dataset.x_test)}
    return network, card


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m gen_core.reference",
                                     description="Train and ship the reference network of a real data set.")
    parser.add_argument("dataset", choices=TRAINED_ON)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from gen_core.data import load_dataset
    from gen_core.errors import GenLabError
    try:
        dataset = load_dataset(args.dataset)
        if len(dataset.x_train) == 0:
            raise GenLabError(f"{dataset.name} has no training images here ({dataset.description})")
    except GenLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    network, card = train(dataset, args.epochs, args.seed,
                          progress=lambda e, s, l: print(f"epoch {e + 1} step {s} loss {l:.3f}", file=sys.stderr))
    card["command"] = "python -m gen_core.reference " + shlex.join(argv)
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in network.state_dict().items()},
              str(REFERENCE_DIR / f"{args.dataset}.safetensors"))
    (REFERENCE_DIR / f"{args.dataset}.json").write_text(json.dumps(card, indent=1) + "\n")
    load.cache_clear()
    print(f"saved {REFERENCE_DIR / args.dataset}.safetensors: test accuracy {card['test_accuracy']:.4f}; per-class "
          f"recall " + ", ".join(f"{n} {r:.3f}" for n, r in zip(card["class_names"], card["per_class_recall"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
