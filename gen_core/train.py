"""Model-agnostic training loop, and the `python -m gen_core.train` command line around it.

The loop reports outward through a callback (the CLI draws a progress bar with it, the app a chart) and
returns everything a checkpoint needs: the model, the config, the per-step history, fixed-noise samples taken at
several points in training, and the test metrics.

    python -m gen_core.train vae --dataset digits --epochs 30 --seed 0 --out assets/checkpoints/vae-digits
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import re
import shlex
import logging
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gen_core import checkpoints, cli, memory, model_card
from gen_core.data import Dataset, folder_name, limited, load_dataset, parse_folder
from gen_core.device import check_seed, make_generator, pick_device
from gen_core.distributed import DataParallel
from gen_core.errors import GenLabError, TrainingDiverged
from gen_core.models import FAMILIES, family_defaults, get_family

MAX_HISTORY_POINTS = 20_000  # beyond this many steps the history keeps every k-th step
WEIGHT_CHECK_EVERY = 50      # steps between checks that every weight is still finite (losses: every step)
MAX_EPOCHS = 100_000         # passes over the data: more is a typo (and overflowed numpy in the snapshot schedule)
LOSS_LIMIT = 1e15            # a loss beyond this has diverged even while it is finite (lr = 1e4: ELBO -1.9e32)

LOG = logging.getLogger("genlab.train")


@dataclass
class TrainResult:
    model: torch.nn.Module
    config: object
    steps: int
    history: dict[str, list[float]]
    snapshots: dict[str, torch.Tensor] = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0


def dataset_facts(dataset: Dataset) -> dict:
    """What a card records about its training data."""
    return {"name": dataset.name, "kind": dataset.kind, "shape": list(dataset.shape),
            "class_names": list(dataset.class_names), "num_train": len(dataset.x_train)}


def divergence(metrics: dict, model: torch.nn.Module | None = None) -> str | None:
    """What has diverged, in words, or None: a metric that is NaN, infinite or beyond LOSS_LIMIT, or (when a
    model is given) a weight that is not finite."""
    for key, value in metrics.items():
        value = float(value)
        if not math.isfinite(value) or abs(value) > LOSS_LIMIT:
            return f"{key} = {value:.3g}"
    bad = checkpoints.non_finite(model.state_dict()) if model is not None else []
    return f"weight {bad[0]} holds NaN or inf" if bad else None


def check_fits(family_name: str, dataset: Dataset):
    """The family's module, once it is known to train on this kind of data."""
    family = get_family(family_name)
    if dataset.kind not in family.DATA_KINDS:
        raise GenLabError(f"family {family_name!r} trains on {' or '.join(family.DATA_KINDS)} data, "
                          f"but {dataset.name!r} is {dataset.kind} data")
    if dataset.kind == "points" and len(dataset.x_train) and round(float(dataset.x_train.std()), 4) == 0:
        # the point families scale by the data's spread (data_scale): a config error naming that field would
        # blame a setting the user never touched
        raise GenLabError(f"the points of {dataset.name} (almost) all coincide: their spread is "
                          f"{float(dataset.x_train.std()):.2g}; give points that differ")
    return family


def train(family_name: str, dataset: Dataset, *, config=None, epochs: int = 1, seed: int = 0,
          device: torch.device | str = "cpu", callback: Callable[[int, int, dict], None] | None = None,
          num_snapshots: int = 8, snapshot_size: int = 16) -> TrainResult:
    """Train a family on a dataset for `epochs` and evaluate it.

    `callback(step, total_steps, metrics)` is called after every step. Weight initialisation, data order and
    noise all derive from `seed`; the global RNG state of the caller is left as it was."""
    family = check_fits(family_name, dataset)
    if len(dataset.x_train) == 0:
        raise GenLabError(f"{dataset.name} has no training images on this machine ({dataset.description})")
    check_epochs(epochs)
    check_seed(seed)
    parallel = DataParallel()  # under torchrun: this rank's share of each batch (gen_core/distributed.py)
    device = parallel.start(torch.device(device))
    config = config or family.config_for(dataset, **family_defaults(family_name))
    check_shape(config, dataset)
    memory.check_fits(family, config, training=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = family.build(config).to(device)
    trainer = family.Trainer(model, config)
    parallel.replicate(trainer, model)  # under torchrun the trainer computes its losses through DDP
    order = make_generator(seed)     # data order, on the CPU where the data lives: alike on all ranks
    noise = make_generator(seed + 1 + 7919 * parallel.rank, device)  # the model's own randomness (z, eps, ...)

    steps_per_epoch = math.ceil(len(dataset.x_train) / config.batch_size)
    total = epochs * steps_per_epoch
    stride = max(1, math.ceil(total / MAX_HISTORY_POINTS))
    snapshot_at = set(np.linspace(0, total, num_snapshots).round().astype(int).tolist()) if num_snapshots else set()
    history: dict[str, list[float]] = {"step": []}
    snapshots: dict[str, torch.Tensor] = {}

    def take_snapshot(step: int):
        if step in snapshot_at and parallel.is_writer:
            with torch.no_grad():
                model.eval()
                snapshots[f"step_{step:07d}"] = family.sample(
                    model, snapshot_size, generator=make_generator(seed + 2, device)).cpu()

    started = time.perf_counter()
    take_snapshot(0)
    step = 0
    for _ in range(epochs):
        for x, y in dataset.batches(config.batch_size, order):
            x, y = parallel.shard(x, y)
            metrics = parallel.average_metrics(trainer.step(x.to(device), y.to(device), noise))
            step += 1
            problem = divergence(metrics, model if step % WEIGHT_CHECK_EVERY == 0 or step == total else None)
            if problem:
                raise TrainingDiverged(f"training diverged at step {step} of {total} ({problem}); nothing was "
                                       f"saved: try a smaller learning rate or beta")
            if step % stride == 0 or step == total:
                history["step"].append(step)
                for key, value in metrics.items():
                    history.setdefault(key, []).append(float(f"{value:.5g}"))
            take_snapshot(step)
            if callback:
                callback(step, total, metrics)
    seconds = time.perf_counter() - started
    model.eval()
    if not parallel.is_writer:  # rank 0 evaluates and writes; the others are done
        parallel.stop()
        return TrainResult(model, config, step, history, snapshots, {}, seconds)
    try:
        metrics = family.evaluate(model, dataset, make_generator(seed + 3, device))
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as error:  # noqa: BLE001 - a failed evaluation must not throw away the whole training
        LOG.warning("evaluation failed after training; the model is kept without its metrics: %s", error)
        metrics = {"evaluation_error": f"{type(error).__name__}: {error}"[:300]}
    parallel.stop()
    return TrainResult(model, config, step, history, snapshots, metrics, seconds)


def check_epochs(epochs: int) -> None:
    if not 1 <= epochs <= MAX_EPOCHS:
        raise GenLabError(f"epochs must be at least 1 and at most {MAX_EPOCHS:,}, got {str(epochs)[:30]}")


def check_shape(config, dataset: Dataset) -> None:
    """A config's data shape must be the dataset's (`--set image_shape=3,16,16` on the 8x8 grey digits)."""
    for field_name in ("image_shape", "data_shape"):
        shape = getattr(config, field_name, None)
        if shape is not None and tuple(shape) != tuple(dataset.shape):
            raise GenLabError(f"{field_name}={','.join(map(str, shape))} does not match {dataset.name}, whose "
                              f"samples are {','.join(map(str, dataset.shape))}; leave {field_name} unset")


def parse_overrides(config_cls, pairs: list[str]) -> dict:
    """--set KEY=VALUE pairs to typed config overrides, by the type of each field's default."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    overrides = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in fields:
            raise GenLabError(f"--set {pair!r}: expected KEY=VALUE with KEY one of {', '.join(fields)}")
        default = fields[key].default
        if not isinstance(default, str) and not raw.isascii():  # int("٣") is 3 in Python: nobody means that
            raise GenLabError(f"--set {pair!r}: {raw!r} is not a valid {type(default).__name__} (write it in ASCII)")
        try:
            if isinstance(default, bool):
                value = raw.lower() in ("1", "true", "yes")
            elif isinstance(default, tuple):
                value = tuple(int(v) for v in raw.split(","))
            else:
                value = type(default)(raw)
        except ValueError:
            raise GenLabError(f"--set {pair!r}: {raw!r} is not a valid {type(default).__name__}") from None
        overrides[key] = value
    return overrides


class TensorBoardLog:
    """Each step's metrics as TensorBoard scalars (torch.utils.tensorboard), under $GENLAB_HOME/runs/NAME-TIME/."""

    def __init__(self, name: str):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise GenLabError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
        from gen_core.data import genlab_home
        self.folder = genlab_home() / "runs" / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"
        try:
            self.writer = SummaryWriter(log_dir=str(self.folder))
        except OSError as error:
            raise GenLabError(f"cannot write TensorBoard events in {self.folder} ({error.strerror or error})") \
                from None

    def chain(self, callback):
        def log(step, total, metrics):
            for key, value in metrics.items():
                self.writer.add_scalar(f"train/{key}", float(value), step)
            if callback:
                callback(step, total, metrics)
        return log

    def close(self) -> None:
        self.writer.close()


def default_out(family: str, dataset: str) -> Path:
    safe = re.sub(r"^folder(\d*):", r"folder\1-", dataset).replace("/", "_").strip("_")
    return checkpoints.user_dir() / f"{family}-{safe}-{datetime.now():%Y%m%d-%H%M%S}"


def train_and_save(family_name: str, dataset_name: str, *, data_root=None, epochs: int = 10, seed: int = 0,
                   device=None, out=None, overwrite: bool = False, overrides: list[str] | dict = (),
                   snapshots: int = 8, command: str = "", callback=None, warn=None, tensorboard: bool = False,
                   say=None, train_limit: int | None = None):
    """What `python -m gen_core.train` does, for the CLI and the Train page alike: check everything before any
    work, train, write the checkpoint atomically and register it where every page's picker lists it.
    `overrides` are --set KEY=VALUE strings or a {field: value} dict. The checkpoint gets history.csv (every
    training) and, with `tensorboard`, TensorBoard's event files, written as it trains under $GENLAB_HOME/runs/
    (`say` is told where, to watch live) and copied in as tensorboard/. Returns (path, card, TrainResult)."""
    family = get_family(family_name)
    check_seed(seed)
    check_epochs(epochs)
    if not 0 <= snapshots <= 1000:
        raise GenLabError(f"--snapshots must be a whole number from 0 to 1000, not {snapshots}")
    out = checkpoints.check_target(out or default_out(family_name, dataset_name), overwrite)
    device = pick_device(device)
    dataset = load_dataset(dataset_name, data_root)
    if train_limit is not None:
        dataset = limited(dataset, train_limit)
    check_fits(family_name, dataset)
    if not isinstance(overrides, dict):
        overrides = parse_overrides(family.Config, list(overrides))
    try:
        config = family.config_for(dataset, **{**family_defaults(family_name), **overrides})
    except (ValueError, TypeError) as error:
        raise GenLabError(f"bad config: {error}") from None
    made_by = model_card.provenance()  # the code as it was when the training started (the card is written at the end)
    board = TensorBoardLog(out.name) if tensorboard and DataParallel().is_writer else None
    if board and say:
        say(f"TensorBoard events: {board.folder} (watch with `tensorboard --logdir {board.folder.parent}`)")
    try:
        result = train(family_name, dataset, config=config, epochs=epochs, seed=seed, device=device,
                       callback=board.chain(callback) if board else callback, num_snapshots=snapshots)
    finally:
        if board:
            board.close()
    if not DataParallel().is_writer:  # under torchrun only rank 0 writes the checkpoint
        return None, None, result
    card = checkpoints.make_card(
        family=family_name, config=result.config, dataset=dataset_facts(dataset), command=command, steps=result.steps,
        metrics=result.metrics, history=result.history, epochs=epochs, seed=seed,
        train_seconds=round(result.seconds, 1), device=str(device),
        **made_by, **({"train_limit": train_limit} if train_limit is not None else {}))
    path = checkpoints.save(out, result.model, card, result.snapshots, overwrite=overwrite,
                            extra={"tensorboard": board.folder} if board else None)
    try:
        checkpoints.register(path)  # listed (and in every page's picker) wherever `out` put it
    except GenLabError as error:
        if warn:
            warn(str(error))
    return path, card, result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog=cli.program("gen_core.train"),
        description="Train a GenLab model and save it as a checkpoint (safetensors weights + JSON card).")
    parser.add_argument("family", help=f"model family: {', '.join(FAMILIES)}")
    parser.add_argument("--dataset", required=True, help="dataset name (digits, shapes, ring8, mnist, folder:PATH, ...)")
    parser.add_argument("--data-root", help="where mnist / fashion-mnist files are, or are downloaded to")
    parser.add_argument("--epochs", type=cli.whole, default=10, help="passes over the training set (default 10)")
    parser.add_argument("--seed", type=cli.whole, default=0, help="seed for initialisation, data order and noise")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, mps (default: $GENLAB_DEVICE or auto)")
    parser.add_argument("--out", help="checkpoint folder to write (default: $GENLAB_HOME/checkpoints/NAME)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field, e.g. --set latent_dim=2 --set beta=8 (repeatable)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint at --out")
    parser.add_argument("--image-size", type=cli.whole, metavar="N",
                        help="with --dataset folder:PATH, resize its pictures to N x N (default 32; 8 to 128)")
    parser.add_argument("--train-limit", type=cli.whole, metavar="N",
                        help="train on only N training examples (stratified, seeded): what a small data set does")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also log every step for TensorBoard (kept in the checkpoint's tensorboard/ folder)")
    parser.add_argument("--snapshots", type=cli.whole, default=8, metavar="N",
                        help="samples from fixed noise taken N times along training, for the pages' training "
                             "history (default 8; 0 for none: a diffusion snapshot runs the whole sampler)")
    args = parser.parse_args(argv)
    cli.set_threads()

    from tqdm import tqdm

    warnings: list[str] = []
    try:
        if args.image_size is not None:
            folder_set = parse_folder(args.dataset)
            if folder_set is None:
                raise GenLabError("--image-size resizes an image folder's pictures: use it with --dataset folder:PATH")
            args.dataset = folder_name(folder_set[0], args.image_size)
            parse_folder(args.dataset)  # the size's range, checked before anything loads
        folder_set = parse_folder(args.dataset)
        label = f"folder:{Path(folder_set[0]).name}" if folder_set else args.dataset  # a full path fills the bar
        with tqdm(total=None, unit="step", desc=f"{args.family} on {label}", delay=1.0, file=sys.stderr,
                  dynamic_ncols=True, disable=not DataParallel().is_writer) as bar:  # one bar under torchrun
            def report(step, total, metrics):
                bar.total = total
                bar.update(1)
                if step % 10 == 0 or step == total:
                    bar.set_postfix({k: f"{v:.3g}" for k, v in list(metrics.items())[:3]}, refresh=False)
                if step == total:  # the evaluation after the last step takes seconds: say so instead of going quiet
                    bar.set_description(f"{args.family} on {label}: trained, evaluating", refresh=False)
                    # only a bar already shown (a forced one ends without its newline); none on torchrun's other ranks
                    if not bar.disable and time.time() - bar.start_t >= bar.delay:
                        bar.refresh()

            path, card, result = train_and_save(
                args.family, args.dataset, data_root=args.data_root, epochs=args.epochs, seed=args.seed,
                device=args.device, out=args.out, overwrite=args.overwrite, overrides=args.overrides,
                snapshots=args.snapshots, command=as_typed(parser.prog, argv), callback=report,
                warn=warnings.append, tensorboard=args.tensorboard, say=lambda m: print(m, file=sys.stderr),
                train_limit=args.train_limit)
        for message in warnings:  # after the bar has closed its line
            print(f"warning: {message}", file=sys.stderr)
    except GenLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was saved", file=sys.stderr)
        return 130
    if path is not None:  # None: a torchrun rank other than 0, which writes nothing
        print(f"saved {path} ({result.steps} steps in {result.seconds:.1f} s; {checkpoints.summary(card)})")
        note = name_note(path)
        if note:
            print(note)
    return 0


def as_typed(prog: str, argv: list[str]) -> str:
    """The command that reproduces this training; under torchrun, torchrun's own line with the world size."""
    world = DataParallel().world
    if world > 1:
        return f"torchrun --nproc_per_node {world} -m gen_core.train " + shlex.join(argv)
    return f"{prog} " + shlex.join(argv)


def name_note(path: Path) -> str | None:
    """When the folder's name is also another checkpoint's, say which one `sample NAME` picks (the first listed:
    shipped, then the user's folder, then those saved elsewhere) and how to reach this one."""
    same = [info for info in checkpoints.list_checkpoints(history=False) if info.name == path.name]
    if len(same) < 2:
        return None
    first = same[0].path
    if first.resolve() == path.resolve():
        return (f"note: {len(same) - 1} other checkpoint(s) are also named {path.name}; `sample {path.name}` picks "
                f"this one")
    return (f"note: the name {path.name} is taken by {first} ({same[0].source}); `sample {path.name}` picks that one: "
            f"give this one's path, {path}, or train again with another --out")


if __name__ == "__main__":
    sys.exit(main())
