"""`python -m gen_core.sample CHECKPOINT --out FILE`: draw samples from a checkpoint into a file.

`.png` writes a grid of images (or a scatter of 2-D points); `.npy` writes float32 samples: images as
N x C x H x W in [0, 1], 2-D models as N x 2 in data coordinates, series as N x T x D; a text model writes `.txt`
(one sample a line) or `.npy` (character codes).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

from gen_core import cli, render
from gen_core.core import InferenceCore
from gen_core.data import images_to_unit
from gen_core.device import check_seed
from gen_core.errors import GenLabError
from gen_core.models import SAMPLER_OPTION_FAMILIES

SUFFIXES = (".png", ".npy", ".txt")
KIND_SUFFIXES = {"image": (".png", ".npy"), "points": (".png", ".npy"), "sequence": (".npy",), "text": (".txt", ".npy")}


def write_samples(x: torch.Tensor, is_image: bool, out: Path) -> None:
    """Write samples atomically (to a temporary name, then renamed) so a failed run leaves no half file."""
    suffix = out.suffix.lower()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        if suffix == ".npy":
            array = images_to_unit(x) if is_image else x
            with open(tmp, "wb") as f:
                np.save(f, array.numpy().astype(np.float32))
        elif is_image:
            render.grid(x).save(tmp, format="PNG")
        else:
            render.scatter_image(x.numpy()).save(tmp, format="PNG")
        tmp.replace(out)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise GenLabError(f"could not write {out} ({error.strerror or error}); nothing was written") from None


def write_text(text: str, out: Path) -> None:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(out)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise GenLabError(f"could not write {out} ({error.strerror or error}); nothing was written") from None


def diffusion_options(args, card: dict) -> dict:
    """--steps/--guidance/--sampler/--eta as sample() options, checked against the model."""
    given = {k: getattr(args, k) for k in ("steps", "guidance", "sampler", "eta") if getattr(args, k) is not None}
    if not given:
        return {}
    if card["family"] not in SAMPLER_OPTION_FAMILIES:
        raise GenLabError(f"--{'/--'.join(given)} apply to diffusion models sampled by DDPM/DDIM (ddpm, ldm); this "
                          f"checkpoint is a {card['family']}")
    if "guidance" in given and args.label is None:
        raise GenLabError("--guidance steers towards a class: give --label too")
    total = card["config"]["timesteps"]
    if "steps" in given and not 1 <= given["steps"] <= total:
        raise GenLabError(f"--steps must be between 1 and {total} (the model's T), got {given['steps']}")
    if given.get("sampler") == "ddpm" and given.get("steps", total) != total:
        raise GenLabError(f"the DDPM sampler visits all {total} steps; use --sampler ddim for fewer")
    if "eta" in given and not 0 <= given["eta"] <= 1:
        raise GenLabError(f"--eta must be between 0 and 1, got {given['eta']}")
    if "guidance" in given and not 0 <= given["guidance"] <= 20:
        raise GenLabError(f"--guidance must be between 0 and 20, got {given['guidance']}")
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=cli.program("gen_core.sample"),
        description="Sample a GenLab checkpoint (a folder path, or a name from `python -m gen_core.checkpoints`).")
    parser.add_argument("checkpoint", help="checkpoint folder or name")
    parser.add_argument("--n", type=cli.whole, default=64, help="number of samples (default 64)")
    parser.add_argument("--seed", type=cli.whole, default=0, help="random seed (default 0)")
    parser.add_argument("--label", type=cli.whole, default=None, help="class to sample, for conditional models")
    parser.add_argument("--steps", type=cli.whole, default=None,
                        help="diffusion models: reverse steps (default: all T with DDPM; fewer switches to DDIM)")
    parser.add_argument("--guidance", type=cli.number, default=None,
                        help="diffusion models with --label: classifier-free guidance scale (1 = plain conditional)")
    parser.add_argument("--sampler", choices=("ddpm", "ddim"), default=None, help="diffusion models: the sampler")
    parser.add_argument("--eta", type=cli.number, default=None, help="DDIM noise: 0 deterministic, 1 like DDPM")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, mps (default: $GENLAB_DEVICE or auto)")
    parser.add_argument("--out", required=True, help="output file: .png (a grid) or .npy (float32 samples)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out when it exists already")
    args = parser.parse_args(argv)
    cli.set_threads()
    try:
        out = Path(args.out).expanduser()
        if out.suffix.lower() not in SUFFIXES:
            raise GenLabError(f"--out {args.out!r}: the file must end in {' or '.join(SUFFIXES)}")
        if not out.parent.is_dir():
            raise GenLabError(f"--out {args.out!r}: folder {str(out.parent)!r} does not exist")
        if out.is_dir():
            raise GenLabError(f"--out {args.out!r} is a folder; name a file to write")
        if (out.exists() or out.is_symlink()) and not args.overwrite:
            raise GenLabError(f"--out {args.out!r} exists already; pass --overwrite to replace it, or name another "
                              f"file (nothing was written)")
        if out.exists() and not out.is_file():
            raise GenLabError(f"--out {args.out!r} is not a regular file; name a file to write")
        if not 1 <= args.n <= 100_000:
            raise GenLabError(f"--n must be between 1 and 100000, got {args.n}")
        check_seed(args.seed)
        core = InferenceCore(args.device)
        loaded = core.load(args.checkpoint)
        kind = loaded.card["dataset"].get("kind", "image")
        if out.suffix.lower() not in KIND_SUFFIXES.get(kind, SUFFIXES):
            raise GenLabError(f"--out {args.out!r}: a {kind} model writes {' or '.join(KIND_SUFFIXES[kind])} files")
        options = diffusion_options(args, loaded.card)
        from tqdm import tqdm
        with tqdm(total=args.n, unit="sample", delay=1.0, file=sys.stderr) as bar:
            x = core.sample(args.checkpoint, args.n, seed=args.seed, label=args.label, progress=bar.update,
                            **options)
        if not bool(torch.isfinite(x).all()):
            raise GenLabError(f"{loaded.name} produced NaN or infinite samples; nothing was written")
        if kind == "text" and out.suffix.lower() == ".txt":
            from gen_core.data.sequences import decode
            vocab = loaded.card["config"]["vocabulary"]
            write_text("\n".join(decode(row, vocab).replace("\n", " ") for row in x), out)
        else:
            write_samples(x, loaded.is_image, out)
    except GenLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(x)} samples from {loaded.name} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
