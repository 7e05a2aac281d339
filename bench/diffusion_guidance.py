"""How often an independent classifier (an RBF SVC fitted on the real training digits, 0.99 test accuracy)
recognises the conditional diffusion model's samples as the class they were asked for, per guidance scale.

    python bench/diffusion_guidance.py [--checkpoint ddpm-digits] [--per-class 100] [--sampler ddpm|ddim]

The issue's bar: at guidance >= 2, at least 95%.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_core import metrics  # noqa: E402
from gen_core.core import InferenceCore  # noqa: E402
from gen_core.data import load_dataset  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="ddpm-digits")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--sampler", choices=("ddpm", "ddim"), default="ddim")
    parser.add_argument("--steps", type=int, default=100, help="DDIM steps")
    parser.add_argument("--scales", default="0,1,2,3,5")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    core = InferenceCore(args.device)
    card = core.load(args.checkpoint).card
    dataset = load_dataset(card["dataset"]["name"])
    steps = None if args.sampler == "ddpm" else args.steps
    print(f"{args.checkpoint}: {args.per_class} samples per class, {args.sampler.upper()}"
          f"{'' if steps is None else f' {steps} steps'}, reference classifier: RBF SVC on real {dataset.name}")
    for scale in (float(s) for s in args.scales.split(",")):
        started = time.perf_counter()
        accuracy = metrics.conditional_accuracy(
            lambda label, n: core.sample(args.checkpoint, n, seed=label, label=label, guidance=scale,
                                         sampler=args.sampler, steps=steps), dataset, per_class=args.per_class)
        print(f"guidance {scale:>4g}: {accuracy:6.1%} recognised as their class ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
