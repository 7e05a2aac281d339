"""Time to sample 64 images from each shipped checkpoint on this machine's CPU (or --device).

    python bench/sample_speed.py [--device cpu] [--repeats 5]

Loads each model once (as the app does), warms it up, then prints the median of several timed runs.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from gen_core.checkpoints import list_checkpoints  # noqa: E402
from gen_core.core import InferenceCore  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=64)
    args = parser.parse_args()
    core = InferenceCore(args.device)
    print(f"device {core.device}, torch {torch.__version__}, {torch.get_num_threads()} threads, n={args.n}")
    print(f"{'checkpoint':<24} {'family':<6} {'load ms':>8} {'sample ms (median)':>19} {'min':>7}")
    for info in list_checkpoints():
        if info.source != "shipped" or "error" in info.card:
            continue
        start = time.perf_counter()
        core.load(info.path)
        load_ms = (time.perf_counter() - start) * 1000
        core.sample(info.path, args.n, seed=0)  # warm-up
        times = []
        for repeat in range(args.repeats):
            start = time.perf_counter()
            core.sample(info.path, args.n, seed=repeat)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{info.name:<24} {info.card['family']:<6} {load_ms:>8.1f} {statistics.median(times):>19.2f} "
              f"{min(times):>7.2f}")


if __name__ == "__main__":
    main()
