"""The uses of generative models, measured (gen_core/labs/uses.py): domain adaptation with each shipped CycleGAN,
a conditional GAN's samples as training data, and the few-label linear probe of a GAN's discriminator and a VAE's
encoder against raw pixels; printed, and with --ship written to assets/uses/ for the pages to read.

    python bench/uses.py [--ship]
"""
import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_core.core import InferenceCore  # noqa: E402
from gen_core.data import genlab_home  # noqa: E402
from gen_core.labs import uses  # noqa: E402

EXPERIMENTS = [("domain_adaptation", ("cyclegan-digits-invert",)), ("domain_adaptation", ("cyclegan-digits-rot90",)),
               ("synthetic_training_data", ("cgan-digits",)), ("linear_probe", ("dcgan-digits", "vae-digits")),
               ("dataset_size", ("dcgan-digits-100", "dcgan-digits-1000", "dcgan-digits", "vae-digits-100",
                                 "vae-digits-1000", "vae-digits")),
               ("classifier_confidence", ("ebm-digits", "vae-digits", "dcgan-digits", "gan-digits", "ldm-digits")),
               ("sample_quality", ("sagan-shapes", "cgan-shapes"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ship", action="store_true", help="write the figures to assets/uses/")
    args = parser.parse_args()
    core = InferenceCore("cpu")
    for experiment, names in EXPERIMENTS:
        started = time.perf_counter()
        result = uses.figures(core, experiment, *names)
        print(f"{experiment} {', '.join(names)} ({time.perf_counter() - started:.1f} s):")
        for key, value in result.items():
            print(f"  {key}: {value}")
    if args.ship:
        uses.SHIPPED.mkdir(parents=True, exist_ok=True)
        for file in (genlab_home() / "cache" / "uses").glob("*.json"):
            shutil.copy(file, uses.SHIPPED / file.name)
        print(f"shipped to {uses.SHIPPED}")


if __name__ == "__main__":
    main()
