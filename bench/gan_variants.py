"""The GAN variants of the GAN Studio (BigGAN, the self-attention GAN, StyleGAN): sampling time and quality of each,
beside the DCGAN / conditional GAN of the same data, and each one's own idea measured.

    python bench/gan_variants.py [--n 1000] [--threads N]

For each model: seconds to draw n samples (median of 3 after a warm-up) and, as the machine-independent figure,
that time over one forward pass of a DCGAN generator of the same data on the same n (same process); the reference
classifier's class coverage of n samples (an RBF SVC fitted on the real images), the share of class-k samples it
reads as k (conditional models), the Fréchet distance and k-NN precision / recall in the reference MLP's features
against the test images (as bench/evaluate.py). Then each idea: StyleGAN's mixing (the share of 500 mixed pairs whose
class follows the coarse source, and the fine one), the self-attention maps' entropy against uniform, and BigGAN's
truncation curve.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.diffusion_speed import median_seconds  # noqa: E402
from gen_core.device import make_generator
from gen_core import metrics  # noqa: E402
from gen_core.labs import gan as gan_lab
from gen_core.core import InferenceCore  # noqa: E402
from gen_core.data import load_dataset  # noqa: E402
from gen_core.evaluate import frechet_distance, precision_recall, reference_features  # noqa: E402

# (model, the plain GAN of the same data whose generator's forward pass is the yardstick)
MODELS = (("dcgan-digits", "dcgan-digits"), ("cgan-digits", "dcgan-digits"), ("biggan-digits", "dcgan-digits"),
          ("biggan-digits-batch8", "dcgan-digits"), ("stylegan-digits", "dcgan-digits"),
          ("cgan-shapes", "dcgan-shapes"), ("sagan-shapes", "dcgan-shapes"))


def quality(core: InferenceCore, name: str, n: int) -> dict:
    card = core.load(name).card
    dataset = load_dataset(card["dataset"]["name"])
    x = core.sample(name, n, seed=1)
    out = {k: v for k, v in metrics.class_metrics(dataset, x).items() if k == "classes_covered"}
    if card["config"].get("num_classes"):
        out["label_accuracy"] = metrics.conditional_accuracy(
            lambda label, k: core.sample(name, k, seed=100 + label, label=label), dataset, per_class=n // 10)
    fake = reference_features(dataset, x.numpy())
    real = reference_features(dataset, dataset.x_test.numpy())
    out["fd"] = frechet_distance(fake, real)
    out.update(precision_recall(fake, real))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    core = InferenceCore("cpu")
    print(f"{args.n} samples each on the CPU, torch threads {torch.get_num_threads()}")
    print(f"{'model':24} {'sample s':>9} {'DCGAN G s':>10} {'x G':>6} {'classes':>8} {'as asked':>9} {'FD':>7} "
          f"{'prec':>6} {'recall':>6}")
    for name, yardstick in MODELS:
        try:
            core.load(name)
        except Exception as error:  # noqa: BLE001 - a bench goes on without a missing model
            print(f"{name:24} not available: {error}")
            continue
        seconds = median_seconds(lambda: core.sample(name, args.n, seed=0), 3)

        def plain_forward(loaded):
            z = torch.randn(args.n, loaded.model.config.z_dim)
            return median_seconds(lambda: loaded.model.generate(z), 3)
        base = core.run(yardstick, plain_forward)
        q = quality(core, name, args.n)
        accuracy = f"{q['label_accuracy']:.3f}" if "label_accuracy" in q else "-"
        print(f"{name:24} {seconds:9.3f} {base:10.3f} {seconds / base:6.1f} {q.get('classes_covered', '?'):>8} "
              f"{accuracy:>9} {q['fd']:7.2f} {q['precision']:6.3f} {q['recall']:6.3f}")

    print(f"\nStyleGAN: class of {gan_lab.MIXING_PAIRS} mixed pairs (sources of different classes) by crossover layer")
    digits = load_dataset("digits")
    for k in range(1, 4):
        found = core.run("stylegan-digits", lambda m: gan_lab.mixing_agreement(
            m.model, digits, gan_lab.MIXING_PAIRS, make_generator(1), k))
        print(f"  first {k} styles from the coarse source: follows coarse {found.follows_coarse:.3f}, fine "
              f"{found.follows_fine:.3f} ({found.pairs} pairs)")

    print("\nSelf-attention: entropy of the generator's maps (64 samples) against uniform")
    result = core.run("sagan-shapes", lambda m: gan_lab.generate_with_attention(
        m.model, torch.randn(64, m.model.config.z_dim, generator=make_generator(0)),
        torch.arange(64) % 10))
    spread = gan_lab.attention_spread(result["beta"])
    print(f"  {result['side']}x{result['side']} positions: mean entropy {spread['entropy']:.2f} nats, uniform "
          f"{spread['uniform_entropy']:.2f} (= log {result['side'] ** 2}); weight on itself {spread['self_weight']:.4f}"
          f" (uniform {1 / result['side'] ** 2:.4f})")

    for name in ("biggan-digits", "biggan-digits-batch8"):
        print(f"\nTruncation curve of {name} (100 per class, the same uniforms at every threshold)")
        rows = core.run(name, lambda m: gan_lab.truncation_curve(m.model, digits))
        print(f"  {'threshold':>9} {'as asked':>9} {'precision':>9} {'recall':>7} {'spread':>7}")
        for r in rows:
            print(f"  {r['threshold']:9.2f} {r['label_accuracy']:9.3f} {r['precision']:9.3f} {r['recall']:7.3f} "
                  f"{r['spread']:7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
