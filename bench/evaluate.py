"""The evaluation table for every shipped image model (gen_core.evaluate), with how long each row took.

    python bench/evaluate.py [--samples 2000] [--train-samples 10000] [--device cpu] [NAME ...]

FD is in the reference MLP's features with the data-vs-data floor beside it; precision and recall are k-NN (k=5)
in the same features; 'memorised' is the share of samples nearer a training image than the closest 1% of held-out
images; '-ELBO nats' and 'bits/dim' are the VAEs' test bound; 'acc gen' / 'acc real' are an MLP classifier's
test accuracy trained on --train-samples generated samples / as many real ones (capped at the training set).
Diffusion models sample with DDIM in 50 steps.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_core import checkpoints, evaluate  # noqa: E402
from gen_core.core import InferenceCore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="checkpoints (default: every shipped image model)")
    parser.add_argument("--samples", type=int, default=evaluate.METRIC_SAMPLES)
    parser.add_argument("--train-samples", type=int, default=evaluate.TRAIN_ON_GENERATED)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    shipped = {info.name for info in checkpoints.list_checkpoints() if info.source == "shipped"}
    names = args.names or [n for n in evaluate.image_checkpoints() if n in shipped]
    settings = evaluate.Settings(args.samples, args.train_samples)
    core = InferenceCore(args.device)
    print(f"device {core.device}, {args.samples} samples per model, {args.train_samples} to train on", flush=True)
    rows, took = [], {}
    for name in names:
        started = time.perf_counter()
        rows.append(evaluate.evaluate(core, name, settings, progress=lambda m: print(m, file=sys.stderr, flush=True)))
        took[name] = time.perf_counter() - started
        print(evaluate.table(rows[-1:]).splitlines()[-1], f"({took[name]:.0f} s)", flush=True)  # as it goes
    print()
    print(evaluate.table(rows))
    print("seconds per row: " + ", ".join(f"{k} {v:.0f}" for k, v in took.items()))


if __name__ == "__main__":
    main()
