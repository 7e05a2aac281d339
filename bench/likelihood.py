"""Print the likelihood table: the 360 binarised test digits scored by every likelihood model, in nats per image
and bits per pixel, with the time each model takes to score the whole test set, beside one forward pass of the
same model on the same batch (the speed baseline measured in the same process).

    python bench/likelihood.py                 # the shipped models (gen_core.likelihood.DEFAULT_MODELS)
    python bench/likelihood.py --ship          # also write the table the page reads (assets/likelihood/)
    python bench/likelihood.py NAME [NAME ...] # other checkpoints of 8x8 one-channel images
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_core import likelihood  # noqa: E402
from gen_core.core import InferenceCore  # noqa: E402
from gen_core.data import genlab_home, load_dataset  # noqa: E402


def one_forward_seconds(core, name: str, x: torch.Tensor) -> float:
    """One plain forward pass of the model's main network over the batch: the baseline the scoring time is a
    multiple of."""
    def forward(loaded):
        model, family = loaded.model, loaded.card["family"]
        started = time.perf_counter()
        if family == "pixelcnn":
            model.logits((x > 0).float())
        elif family == "glow":
            model.encode(x / 4)
        elif family == "vae":
            model.decode_logits(model.encode(x)[0])
        elif family == "ddpm":
            model.predict_eps(x, torch.zeros(len(x), dtype=torch.long))
        elif family == "d3pm":
            model.x0_logits((x[:, 0] > 0).long(), torch.ones(len(x), dtype=torch.long))
        elif family == "vdm":
            model.eps_hat(x, torch.full((len(x),), 0.5))
        elif family == "ardm":
            model.logits((x > 0).float(), x > 0)
        return time.perf_counter() - started
    core.run(name, forward)  # warm
    return min(core.run(name, forward) for _ in range(3))


def ship_any_order_figures(core, name: str = "ardm-digits-binary", judge: str = "pixelcnn-digits-binary") -> None:
    """The Likelihood Lab's Any order tab's two measured figures (the test bound in random and raster order; samples
    drawn 1, 4, 16 pixels per call judged by PixelCNN), measured and copied beside the table."""
    from gen_core.labs import likelihood as likelihood_lab

    for old in [*likelihood.SHIPPED_TABLES.glob("orders-*.json"), *likelihood.SHIPPED_TABLES.glob("parallel-*.json")]:
        old.unlink()
    bounds = likelihood_lab.order_bounds(core, name, judge, load_dataset("digits-binary"))
    runs = likelihood_lab.ardm_parallel_samples(core, name, judge)
    print(f"{name}: random order {bounds['random']:.2f}, raster order {bounds['raster']:.2f}, {judge} exact "
          f"{bounds['pixelcnn']:.2f} nats; judged samples: " + ", ".join(
              f"{k} per call {v['nats'].mean():.2f} +- {v['nats'].std() / len(v['nats']) ** 0.5:.2f}"
              for k, v in runs.items()))
    for pattern in ("orders-*.json", "parallel-*.json"):
        for file in (genlab_home() / "cache" / "likelihood").glob(pattern):
            shutil.copy(file, likelihood.SHIPPED_TABLES / file.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=list(likelihood.DEFAULT_MODELS))
    parser.add_argument("--ship", action="store_true", help="write the table for the page to assets/likelihood/")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    core = InferenceCore("cpu")
    x = load_dataset("digits-binary").x_test
    rows = []
    print(f"{len(x)} binarised 8x8 test digits, torch threads {torch.get_num_threads()}")
    print(f"{'model':26} {'kind':38} {'nats/image':>10} {'bits/pixel':>10} {'score s':>8} {'1 fwd s':>8} {'x fwd':>7}")
    for name in args.names:
        forward = one_forward_seconds(core, name, x)
        for row in likelihood.score(core, name, x):
            rows.append(row)
            print(f"{row.model:26} {row.kind:38} {row.nats:10.2f} {row.bits_per_dim:10.4f} {row.seconds:8.2f} "
                  f"{forward:8.4f} {row.seconds / forward:7.0f}")
    print("anchors (binarised MNIST, 784 pixels): " + ", ".join(f"{k} {v} nats"
                                                                for k, v in likelihood.MNIST_ANCHORS.items()))
    if args.ship:
        key = likelihood.table_key(core, args.names, "digits-binary", 0)
        path = likelihood.SHIPPED_TABLES / f"table-{key}.json"
        for old in likelihood.SHIPPED_TABLES.glob("table-*.json"):
            old.unlink()
        likelihood.write_table(rows, path)
        print(f"wrote {path}")
        ship_any_order_figures(core)
    return 0


if __name__ == "__main__":
    sys.exit(main())
