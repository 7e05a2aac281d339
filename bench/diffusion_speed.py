"""Diffusion sampling speed against the issue's bar, and each sampler's time against its network calls x one forward
(DDPM: T calls; DDIM: one a step; Heun on the probability-flow ODE: two a step, one for the last).

    python bench/diffusion_speed.py [--device cpu] [--ddpm-shapes]

ddpm-fashion (Fashion-MNIST, 28x28) is timed too where it is installed.

Targets (CPU): 16 digits with DDPM over 1000 steps within 3 s; 16 images of the 28x28 set with DDIM over 50 steps
within 3 s; each sampler's time within 10% of (steps x one network forward). Sampling times are medians of
--repeats runs after a warm-up, through the same InferenceCore.sample the app and CLI use; the forward time is the
median of the forwards inside one such run.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from gen_core import checkpoints  # noqa: E402
from gen_core.core import InferenceCore  # noqa: E402
from gen_core.models import diffusion as D  # noqa: E402


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ddpm-shapes", action="store_true", help="also time DDPM over all steps on shapes (slow)")
    args = parser.parse_args()
    core = InferenceCore(args.device)
    print(f"device {core.device}, torch {torch.__version__}, {torch.get_num_threads()} threads, 16 samples each")
    cases = [("ddpm-digits", "ddpm", None, 3.0), ("ddpm-digits", "ddim", 50, None), ("ddpm-digits", "heun", 25, None),
             ("ddpm-shapes", "ddim", 50, 3.0), ("ddpm-shapes", "heun", 25, None),
             ("ddpm-fashion", "ddim", 50, None), ("ddpm-fashion", "heun", 25, None)]  # Fashion-MNIST, 28x28
    listed = {c.name for c in checkpoints.list_checkpoints(history=False)}
    cases = [case for case in cases if case[0] in listed]
    if args.ddpm_shapes:
        cases.append(("ddpm-shapes", "ddpm", None, None))
    print(f"{'checkpoint':<13} {'sampler':<8} {'calls':>5} {'sample s':>9} {'forward ms':>11} {'calls x fwd s':>14} "
          f"{'ratio':>6} {'target':>8}")
    for name, sampler, steps, target in cases:
        model = core.load(name).model
        # network calls: every step for DDPM, one a step for DDIM, two a step (one for the last) for Heun's method
        total = model.config.timesteps if sampler == "ddpm" else (2 * steps - 1 if sampler == "heun" else steps)
        sample = median_seconds(lambda: core.sample(name, 16, seed=0, sampler=sampler, steps=steps), args.repeats)
        forward = in_run_forward_seconds(core, name, sampler, steps)
        verdict = "" if target is None else ("ok" if sample <= target else "MISSED") + f" {target:g}s"
        print(f"{name:<13} {sampler:<8} {total:>5} {sample:>9.2f} {forward * 1000:>11.2f} {total * forward:>14.2f} "
              f"{sample / (total * forward):>6.2f} {verdict:>8}")


def in_run_forward_seconds(core: InferenceCore, name: str, sampler: str, steps) -> float:
    """The median time of one network forward, timed inside a real sampling run (so both figures see the same
    machine state: this CPU's speed drifts by 20-30% between runs minutes apart)."""
    model = core.load(name).model
    original = model.predict_eps
    times = []

    def timed(*args, **kwargs):
        started = time.perf_counter()
        out = original(*args, **kwargs)
        times.append(time.perf_counter() - started)
        return out

    model.predict_eps = timed
    try:
        core.sample(name, 16, seed=1, sampler=sampler, steps=steps)
    finally:
        del model.predict_eps  # back to the class's method
    return statistics.median(times)

if __name__ == "__main__":
    main()
