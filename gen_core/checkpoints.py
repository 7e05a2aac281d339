"""Self-describing checkpoints: a folder with the weights as safetensors and a JSON card that says how to rebuild
the model.

    NAME/
      card.json              family, config, dataset, the command that reproduces it, steps, metrics,
                             history, created, format version, and the weights' SHA-256
      weights.safetensors    the state dict (tensors only: loading never unpickles anything)
      snapshots.safetensors  optional: fixed-noise samples taken at several points during training

Writes are atomic: everything goes into a hidden sibling folder that is renamed into place at the end, so a
crash leaves either the old checkpoint or the new one, never half of each. An existing checkpoint is never
replaced unless the caller asks.

`python -m gen_core.checkpoints` lists the shipped checkpoints (assets/checkpoints/) and the user's own
($GENLAB_HOME/checkpoints/).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gen_core.data import genlab_home
from gen_core.errors import CheckpointError, GenLabError

FORMAT_VERSION = 1
CARD, WEIGHTS, SNAPSHOTS = "card.json", "weights.safetensors", "snapshots.safetensors"
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "assets" / "checkpoints"
REQUIRED_CARD_KEYS = ("format_version", "family", "config", "dataset")


def user_dir() -> Path:
    return genlab_home() / "checkpoints"


@dataclass(frozen=True)
class CheckpointInfo:
    name: str
    path: Path
    source: str        # "shipped" or "user"
    card: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_card(*, family: str, config, dataset: dict, command: str, steps: int, metrics: dict,
              history: dict | None = None, **extra) -> dict:
    """A card for `save`: config is the family's frozen dataclass, stored as a plain dict."""
    return {
        "format_version": FORMAT_VERSION,
        "family": family,
        "config": dataclasses.asdict(config),
        "dataset": dataset,
        "command": command,
        "steps": int(steps),
        "metrics": metrics,
        "history": history or {},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


def save(path: str | os.PathLike, model: torch.nn.Module, card: dict,
         snapshots: dict[str, torch.Tensor] | None = None, overwrite: bool = False) -> Path:
    """Write a checkpoint folder atomically and return its path. Refuses to replace an existing checkpoint
    unless `overwrite`; even then the old one stays whole until the new one is complete."""
    final = Path(path).expanduser()
    if final.exists() and not overwrite:
        raise GenLabError(f"{final} already exists; choose another --out (nothing was overwritten)")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS))
        if snapshots:
            save_file({k: v.detach().to("cpu").contiguous() for k, v in snapshots.items()}, str(tmp / SNAPSHOTS))
        card = {**card, "weights_sha256": _sha256(tmp / WEIGHTS)}
        with open(tmp / CARD, "w") as f:
            json.dump(card, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        if final.exists():
            old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _folder(path: str | os.PathLike) -> Path:
    folder = Path(path).expanduser()
    if folder.is_file() and folder.name in (CARD, WEIGHTS, SNAPSHOTS):
        folder = folder.parent
    if not folder.is_dir():
        raise CheckpointError(f"no checkpoint at {str(path)!r}: not a folder; run `python -m gen_core.checkpoints` "
                              f"to list the checkpoints there are")
    return folder


def read_card(path: str | os.PathLike) -> dict:
    """The card of the checkpoint at `path`, checked for the keys every card has."""
    folder = _folder(path)
    try:
        with open(folder / CARD) as f:
            card = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{folder} is not a checkpoint: it has no {CARD}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{folder / CARD} is not readable JSON ({error})") from None
    if not isinstance(card, dict) or any(k not in card for k in REQUIRED_CARD_KEYS):
        raise CheckpointError(f"{folder / CARD} lacks one of {', '.join(REQUIRED_CARD_KEYS)}")
    if card["format_version"] != FORMAT_VERSION:
        raise CheckpointError(f"{folder} has card format {card['format_version']!r}; this GenLab reads "
                              f"format {FORMAT_VERSION}")
    return card


def config_from_card(config_cls, config: dict, where: str):
    """Rebuild a frozen config dataclass from a card's dict, refusing unknown or missing fields."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    if not isinstance(config, dict):
        raise CheckpointError(f"{where}: config is not a mapping")
    unknown = sorted(set(config) - set(fields))
    if unknown:
        raise CheckpointError(f"{where}: config has unknown field(s) {', '.join(unknown)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    try:
        return config_cls(**values)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{where}: config does not describe a valid model ({error})") from None


def load(path: str | os.PathLike, device: torch.device | str = "cpu"):
    """Rebuild the model a checkpoint describes and load its weights: returns (model in eval mode, card).

    Every way a checkpoint can be bad (no card, bad JSON, unknown family, truncated or altered weights, weights
    that do not fit the card's config) raises CheckpointError with one line that says which."""
    from gen_core.models import get_family

    folder = _folder(path)
    card = read_card(folder)
    try:
        family = get_family(card["family"])
    except GenLabError as error:
        raise CheckpointError(f"{folder}: {error}") from None
    config = config_from_card(family.Config, card["config"], str(folder / CARD))
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{folder} has a card but no {WEIGHTS}")
    expected = card.get("weights_sha256")
    if expected and _sha256(weights) != expected:
        raise CheckpointError(f"{weights} does not match its card's checksum: the file is truncated or altered")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{weights} is not a readable safetensors file ({error})") from None
    model = family.build(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).split("\n\t")[1:2] or [str(error)]
        raise CheckpointError(f"{weights} does not fit the model its card describes: {first[0].strip()}") from None
    return model.to(device).eval(), card


def load_snapshots(path: str | os.PathLike) -> dict[int, torch.Tensor]:
    """Training-time samples by step (empty when the checkpoint has none)."""
    file = _folder(path) / SNAPSHOTS
    if not file.is_file():
        return {}
    try:
        raw = load_file(str(file))
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{file} is not readable ({error})") from None
    return dict(sorted((int(k.split("_")[-1]), v) for k, v in raw.items()))


def list_checkpoints() -> list[CheckpointInfo]:
    """Shipped checkpoints, then the user's own; folders that are not checkpoints are passed over, and
    damaged ones are listed with the card {"error": ...} so they can be reported rather than hidden."""
    found = []
    for source, root in (("shipped", SHIPPED_DIR), ("user", user_dir())):
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if not (folder / CARD).exists():
                continue
            try:
                card = read_card(folder)
            except CheckpointError as error:
                card = {"error": str(error)}
            found.append(CheckpointInfo(folder.name, folder, source, card))
    return found


def resolve(ref: str | os.PathLike) -> Path:
    """A checkpoint folder from a path, or from a name in the listing (shipped names win)."""
    path = Path(ref).expanduser()
    if path.exists():
        return _folder(path)
    matches = [info.path for info in list_checkpoints() if info.name == str(ref)]
    if matches:
        return matches[0]
    names = ", ".join(info.name for info in list_checkpoints()) or "none"
    raise CheckpointError(f"no checkpoint named or at {str(ref)!r}; known: {names}")


def summary(card: dict) -> str:
    """One line of a card's key facts."""
    if "error" in card:
        return f"DAMAGED: {card['error']}"
    metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in list(card.get("metrics", {}).items())[:4])
    return (f"{card['family']} on {card['dataset'].get('name', '?')}, {card.get('steps', '?')} steps, "
            f"{card.get('created', '?')[:10]}" + (f"; {metrics}" if metrics else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gen_core.checkpoints",
        description="List GenLab checkpoints: the shipped ones and your own ($GENLAB_HOME/checkpoints).")
    parser.add_argument("--json", action="store_true", help="print the cards as JSON instead of a table")
    args = parser.parse_args(argv)
    infos = list_checkpoints()
    if args.json:
        print(json.dumps([{"name": i.name, "path": str(i.path), "source": i.source, "card": i.card} for i in infos],
                         indent=1))
        return 0
    if not infos:
        print(f"no checkpoints in {SHIPPED_DIR} or {user_dir()}")
        return 0
    width = max(len(i.name) for i in infos)
    for info in infos:
        print(f"{info.name:<{width}}  {info.source:<7}  {summary(info.card)}")
        print(f"{'':<{width}}  {'':<7}  {info.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
