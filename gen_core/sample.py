"""`python -m gen_core.sample CHECKPOINT --out FILE`: draw samples from a checkpoint into a file.

`.png` writes a grid of images (or a scatter of 2-D points); `.npy` writes float32 samples: images as
N x C x H x W in [0, 1], 2-D models as N x 2 in data coordinates.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from gen_core import render
from gen_core.core import InferenceCore
from gen_core.data import images_to_unit
from gen_core.errors import GenLabError

SUFFIXES = (".png", ".npy")


def write_samples(x: torch.Tensor, is_image: bool, out: Path) -> None:
    """Write samples atomically (to a temporary name, then renamed) so a failed run leaves no half file."""
    suffix = out.suffix.lower()
    tmp = out.with_name(f".{out.name}.tmp")
    if suffix == ".npy":
        array = images_to_unit(x) if is_image else x
        with open(tmp, "wb") as f:
            np.save(f, array.numpy().astype(np.float32))
    elif is_image:
        render.grid(x).save(tmp, format="PNG")
    else:
        render.scatter_image(x.numpy()).save(tmp, format="PNG")
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gen_core.sample",
        description="Sample a GenLab checkpoint (a folder path, or a name from `python -m gen_core.checkpoints`).")
    parser.add_argument("checkpoint", help="checkpoint folder or name")
    parser.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--label", type=int, default=None, help="class to sample, for conditional models")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, mps (default: $GENLAB_DEVICE or auto)")
    parser.add_argument("--out", required=True, help="output file: .png (a grid) or .npy (float32 samples)")
    args = parser.parse_args(argv)
    try:
        out = Path(args.out).expanduser()
        if out.suffix.lower() not in SUFFIXES:
            raise GenLabError(f"--out {args.out!r}: the file must end in {' or '.join(SUFFIXES)}")
        if not out.parent.is_dir():
            raise GenLabError(f"--out {args.out!r}: folder {str(out.parent)!r} does not exist")
        if not 1 <= args.n <= 100_000:
            raise GenLabError(f"--n must be between 1 and 100000, got {args.n}")
        core = InferenceCore(args.device)
        loaded = core.load(args.checkpoint)
        from tqdm import tqdm
        with tqdm(total=args.n, unit="sample", delay=1.0, file=sys.stderr) as bar:
            x = core.sample(args.checkpoint, args.n, seed=args.seed, label=args.label, progress=bar.update)
        write_samples(x, loaded.is_image, out)
    except GenLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(x)} samples from {loaded.name} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
