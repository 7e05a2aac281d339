"""The diffusion variants of the Diffusion Theater: sampling time and quality of each, beside the plain DDPM.

    python bench/diffusion_variants.py [--n 64] [--threads N]

For each model: seconds to draw n samples (median of 3 after a warm-up) and that time as a multiple of one forward
pass of its network on the same batch (measured in the same process: the machine-independent figure), the
reference classifier's class coverage of the samples (an RBF SVC fitted on the real grey digits; binary samples
are judged as they are), its test bound in nats per image from its card where it has one; for the
super-resolution model, the squared error of its upscales and of bilinear interpolation against the originals
(256 test digits from their 4x4 views) and how far the upscales, shrunk again, are from their input.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from gen_core import metrics  # noqa: E402
from gen_core.labs import diffusion as diffusion_lab
from gen_core.core import InferenceCore  # noqa: E402
from gen_core.data import load_dataset  # noqa: E402
from bench.diffusion_speed import median_seconds  # noqa: E402  (median of repeats after a warm-up)

MODELS = ("ddpm-digits-binary", "d3pm-digits-binary", "vdm-digits-binary", "srdiff-digits", "ddpm-digits-4x4")


def forward_seconds(core: InferenceCore, name: str, n: int) -> float:
    """One call of the model's network on n inputs of its data's shape."""
    def run(loaded):
        model, family = loaded.model, loaded.card["family"]
        shape = tuple(loaded.card["config"]["image_shape"])
        x = torch.zeros(n, *shape)
        t = torch.full((n,), 1, dtype=torch.long)
        if family == "ddpm":
            call = lambda: model.predict_eps(x, t)  # noqa: E731
        elif family == "d3pm":
            call = lambda: model.x0_logits(torch.zeros(n, *shape[1:], dtype=torch.long), t)  # noqa: E731
        elif family == "vdm":
            call = lambda: model.eps_hat(x, t.float() / 2)  # noqa: E731
        else:
            call = lambda: model.eps(x, t, torch.zeros(n, shape[0], model.config.low_side, model.config.low_side))  # noqa: E731
        return median_seconds(call, 5)
    return core.run(name, run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    core = InferenceCore("cpu")
    digits = load_dataset("digits")
    print(f"{args.n} samples each on the CPU, torch threads {torch.get_num_threads()}")
    print(f"{'model':22} {'sample s':>9} {'1 fwd s':>9} {'x fwd':>7} {'classes':>8} {'bound nats':>11}")
    for name in MODELS:
        card = core.load(name).card
        if card["family"] == "srdiff":
            sample = lambda: diffusion_lab.cascade(core, "ddpm-digits-4x4", name, args.n, 0)["high"]  # noqa: E731
        else:
            sample = lambda: core.sample(name, args.n, seed=0)  # noqa: E731
        seconds = median_seconds(sample, 3)
        forward = forward_seconds(core, name, args.n)
        images = sample()
        covered = "-" if images.shape[-1] != 8 else str(metrics.class_metrics(digits, images).get("classes_covered", "-"))
        bound = card.get("metrics", {}).get("test_nll_nats")
        print(f"{name:22} {seconds:9.2f} {forward:9.4f} {seconds / forward:7.0f} {covered:>8} "
              f"{bound if bound is not None else '-':>11}")
    sr = core.load("srdiff-digits").card["metrics"]
    print(f"srdiff-digits on 256 test digits from 4x4: squared error {sr['mse_diffusion']} (bilinear "
          f"{sr['mse_bilinear']}); shrunk back, {sr['consistency_mse']} from the input")
    return 0


if __name__ == "__main__":
    sys.exit(main())
