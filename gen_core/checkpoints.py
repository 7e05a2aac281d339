"""Self-describing checkpoints: a folder with the weights as safetensors and a JSON card that says how to rebuild
the model.

    NAME/
      card.json              family, config, dataset, the command that reproduces it, steps, metrics,
                             history, created, format version, and the weights' SHA-256
      weights.safetensors    the state dict (tensors only: loading never unpickles anything)
      snapshots.safetensors  optional: fixed-noise samples taken at several points during training

Writes are atomic: everything goes into a hidden sibling folder (`.NAME.tmp-PID-RANDOM`) that is renamed into
place at the end. Replacing a checkpoint takes two renames (the old one away to `.NAME.old-PID-RANDOM`, the new
one in); a process killed between them leaves no NAME, so every listing and lookup first `recover`s the folder:
the old checkpoint goes back under its name and leftovers of dead processes are removed. A reader therefore sees
the old checkpoint or the new one, never none and never half of one. An existing checkpoint is replaced only when
the caller asks, and only a checkpoint (a folder with a valid card): never any other file or folder.

Cards are checked against CARD_SCHEMA when read and weights are checked for NaN and inf when loaded and saved,
so a damaged checkpoint is listed as damaged, with its reason, instead of breaking a page.

`python -m gen_core.checkpoints` lists the shipped checkpoints (assets/checkpoints/) and the user's own
($GENLAB_HOME/checkpoints/).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import functools
import hashlib
import json
import os
import re
import shutil
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gen_core import cli, model_card
from gen_core.data import genlab_home
from gen_core.errors import CheckpointError, GenLabError
from gen_core.shipped import ASSETS

FORMAT_VERSION = 1
CARD, WEIGHTS, SNAPSHOTS = "card.json", "weights.safetensors", "snapshots.safetensors"
SHIPPED_DIR = ASSETS / "checkpoints"
REQUIRED_CARD_KEYS = ("format_version", "family", "config", "dataset")
_COUNT = {"type": "integer", "minimum": 0}
# What every card must look like (JSON Schema, checked with jsonschema when a card is read). Extra keys are allowed:
# the CLI adds epochs, seed, device and the like, and families may add their own.
CARD_SCHEMA = {
    "type": "object",
    "required": list(REQUIRED_CARD_KEYS),
    "properties": {
        "format_version": {"type": "integer"},
        "family": {"type": "string", "minLength": 1},
        "config": {"type": "object"},
        "dataset": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "kind": {"enum": ["image", "points", "text", "sequence"]},
                "shape": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 3},
                "class_names": {"type": "array", "items": {"type": "string"}},
                "num_train": _COUNT,
            },
        },
        "command": {"type": "string"},
        "steps": _COUNT,
        "metrics": {"type": "object"},
        "history": {"type": "object", "additionalProperties": {"type": "array"}},
        "created": {"type": "string"},
        "weights_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "epochs": _COUNT,
        "seed": {"type": "integer"},
        "train_seconds": {"type": "number", "minimum": 0},
        "device": {"type": "string"},
    },
}
# Hidden folders of a save in progress: .NAME.tmp-PID-RANDOM (being written), .NAME.old-PID-RANDOM (the replaced
# checkpoint, until the new one is in). Folders from before the PID was recorded lack it.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?:(?P<pid>\d+)-)?[0-9a-f]{8}$")


def user_dir() -> Path:
    return genlab_home() / "checkpoints"


def elsewhere_file() -> Path:
    """Where `register` notes checkpoints saved outside user_dir() (train --out DIR): one path per line."""
    return genlab_home() / "checkpoints-elsewhere.txt"


def register(path: str | os.PathLike) -> None:
    """Remember a checkpoint saved outside the shipped and user folders, so the listing (and every page's model
    picker) shows it: `train --out ~/experiments/my-vae` used to save a checkpoint nothing listed."""
    folder = Path(path).resolve()
    if folder.parent in (SHIPPED_DIR.resolve(), user_dir().resolve()):
        return
    known = registered()
    if folder in known:
        return
    try:
        elsewhere_file().parent.mkdir(parents=True, exist_ok=True)
        with open(elsewhere_file(), "a", encoding="utf-8") as f:
            f.write(f"{folder}\n")
    except OSError as error:  # the checkpoint itself is saved; only the note is missing
        raise GenLabError(f"saved, but could not note it in {elsewhere_file()} ({error.strerror or error}): "
                          f"open it by its path") from None


def registered() -> list[Path]:
    """The checkpoints noted by `register` that still hold a card (moved or deleted ones are passed over)."""
    try:
        lines = elsewhere_file().read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    paths = [Path(line.strip()) for line in lines if line.strip()]
    return [p for p in dict.fromkeys(paths) if (p / CARD).is_file()]


@dataclass(frozen=True)
class CheckpointInfo:
    name: str
    path: Path
    source: str        # "shipped" or "user"
    card: dict


def file_sha256(path: Path) -> str:
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
        **model_card.provenance(),
        **extra,
    }


def _hidden(final: Path, kind: str) -> Path:
    return final.parent / f".{final.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True  # a save in progress in another thread of this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def recover(root: Path) -> None:
    """Finish what killed saves left in `root`: a checkpoint renamed away for a replace that never completed goes
    back under its name; other leftovers of processes that are gone are removed. Saves still running are left
    alone. Best effort: on a read-only folder nothing changes."""
    try:
        leftovers = sorted((p for p in root.iterdir() if _LEFTOVER.match(p.name) and p.is_dir()),
                           key=lambda p: _LEFTOVER.match(p.name)["kind"])  # "old" before "tmp"
    except OSError:
        return
    for leftover in leftovers:
        match = _LEFTOVER.match(leftover.name)
        if _alive(int(match["pid"]) if match["pid"] else None):
            continue
        final = root / match["name"]
        try:
            if match["kind"] == "old" and not final.exists():
                leftover.rename(final)
            else:
                shutil.rmtree(leftover)
        except OSError:
            pass


def is_checkpoint(path: Path) -> bool:
    """Whether `path` is a folder with a valid card (the only kind of thing --overwrite may replace)."""
    try:
        read_card(path)
        return True
    except CheckpointError:
        return False


def check_target(path: str | os.PathLike, overwrite: bool) -> Path:
    """Where a new checkpoint may go: a new name, or (with `overwrite`) an existing checkpoint; never another
    file or folder. Called before training, so a bad --out fails in a second instead of after the training."""
    final = Path(path).expanduser()
    if final.parent.is_dir():
        recover(final.parent)
    if final.exists() or final.is_symlink():
        if not overwrite:
            raise GenLabError(f"{final} already exists; choose another --out or pass --overwrite "
                              f"(nothing was overwritten)")
        if final.is_symlink() or not is_checkpoint(final):
            raise GenLabError(f"{final} is not a GenLab checkpoint; --overwrite replaces only checkpoints, so "
                              f"nothing was touched: choose another --out")
    return final


def non_finite(tensors: dict[str, torch.Tensor]) -> list[str]:
    """Names of the floating-point tensors holding NaN or inf."""
    return [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]


def weights_metadata(card: dict) -> dict[str, str]:
    """What the safetensors header says about the model (strings only, as the format requires): enough to know
    the family and rebuild the config without the card."""
    return {"format": "pt", "genlab_family": str(card["family"]), "genlab_config": json.dumps(card["config"]),
            "genlab_dataset": str(card["dataset"].get("name", "")), "genlab_version": str(card.get("genlab_version", ""))}


def save(path: str | os.PathLike, model: torch.nn.Module, card: dict,
         snapshots: dict[str, torch.Tensor] | None = None, overwrite: bool = False,
         extra: dict[str, Path] | None = None) -> Path:
    """Write a checkpoint folder atomically and return its path: weights (their header naming the family and
    config), card.json, the README.md model card and history.csv made from it, snapshots, and `extra` files or
    folders copied in under the given names (TensorBoard's event files). Refuses to replace anything but a
    checkpoint, and that only with `overwrite`; even then the old one stays whole until the new one is complete.
    Refuses weights with NaN or inf. A full disk or a read-only folder gives a GenLabError and leaves nothing."""
    final = check_target(path, overwrite)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    bad = non_finite(state)
    if bad:
        raise GenLabError(f"refusing to save {final}: {bad[0]} holds NaN or inf (the training diverged)")
    tmp = _hidden(final, "tmp")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        save_file(state, str(tmp / WEIGHTS), metadata=weights_metadata(card))
        if snapshots:
            save_file({k: v.detach().to("cpu").contiguous() for k, v in snapshots.items()}, str(tmp / SNAPSHOTS))
        card = {**card, "weights_sha256": file_sha256(tmp / WEIGHTS)}
        with open(tmp / CARD, "w") as f:
            json.dump(card, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        model_card.write(tmp, card, final.name)
        for name, source in (extra or {}).items():
            (shutil.copytree if Path(source).is_dir() else shutil.copyfile)(source, tmp / name)
        if final.exists():
            old = _hidden(final, "old")
            final.rename(old)
            tmp.rename(final)  # killed before this line: recover() puts `old` back
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    except (OSError, SafetensorError) as error:  # safetensors reports a full disk as its own error, not OSError
        shutil.rmtree(tmp, ignore_errors=True)
        reason = getattr(error, "strerror", None) or str(error).split(" at path ")[0]
        raise GenLabError(f"could not write the checkpoint {final} ({reason}); nothing was "
                          f"saved and nothing there was changed") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


# The safetensors layout: 8 bytes (little-endian u64) giving the JSON header's length, the header (each tensor's dtype,
# shape and byte range, plus "__metadata__"), then the raw bytes. Reading the header alone costs one small read.
MAX_HEADER_BYTES = 16 << 20


def read_weights_header(file: Path) -> tuple[dict[str, tuple[str, tuple[int, ...]]], dict[str, str]]:
    """The tensors a safetensors file holds, {name: (dtype, shape)}, and its metadata, read from the header only:
    a file of huge or unknown tensors is refused before a byte of them is read."""
    try:
        with open(file, "rb") as f:
            head = f.read(8)
            size = int.from_bytes(head, "little") if len(head) == 8 else -1
            if not 2 <= size <= MAX_HEADER_BYTES:
                raise CheckpointError(f"{file} is truncated or altered: not a safetensors file (its header length reads {size} bytes)")
            header = json.loads(f.read(size))
    except OSError as error:
        raise CheckpointError(f"{file} is not readable ({error.strerror or error})") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CheckpointError(f"{file} is truncated or altered: not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{file} is truncated or altered: not a safetensors file (its header is not a mapping)")
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, entry in header.items():
        try:
            tensors[name] = (str(entry["dtype"]), tuple(int(n) for n in entry["shape"]))
        except (TypeError, KeyError, ValueError):
            raise CheckpointError(f"{file} is truncated or altered: tensor {name[:40]!r} has no dtype and shape") \
                from None
    return tensors, metadata if isinstance(metadata, dict) else {}


def check_weights_fit(file: Path, expected: dict[str, torch.Tensor]) -> None:
    """Refuse, from the header alone, a weights file whose tensors are not exactly the model's: unknown names, missing
    ones, or other shapes (a file padded with huge extra tensors used to be read whole before its keys were checked)."""
    tensors, _ = read_weights_header(file)
    unknown = sorted(set(tensors) - set(expected))
    if unknown:
        raise CheckpointError(f"{file} holds tensors the model does not have ({len(unknown)}, first "
                              f"{unknown[0][:60]!r}); refusing to read it")
    missing = sorted(set(expected) - set(tensors))
    if missing:
        raise CheckpointError(f"{file} does not fit the model its card describes: missing {missing[0]!r}")
    for name, (_, shape) in tensors.items():
        if shape != tuple(expected[name].shape):
            raise CheckpointError(f"{file} does not fit the model its card describes: {name} has shape "
                                  f"{list(shape)}, the model {list(expected[name].shape)}")


def folder_of(path: str | os.PathLike) -> Path:
    folder = Path(path).expanduser()
    if folder.is_file() and folder.name in (CARD, WEIGHTS, SNAPSHOTS):
        folder = folder.parent
    if not folder.is_dir():
        raise CheckpointError(f"no checkpoint at {str(path)!r}: not a folder; run `python -m gen_core.checkpoints` "
                              f"to list the checkpoints there are")
    return folder


def read_card(path: str | os.PathLike) -> dict:
    """The card of the checkpoint at `path`, checked for the keys every card has."""
    folder = folder_of(path)
    if (folder / CARD).exists() and not (folder / CARD).is_file():  # a FIFO would block the reader forever
        raise CheckpointError(f"{folder / CARD} is not a regular file")
    try:
        with open(folder / CARD) as f:
            card = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{folder} is not a checkpoint: it has no {CARD}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{folder / CARD} is not readable JSON ({error})") from None
    except RecursionError:  # a card nested thousands deep: Python's JSON decoder recurses once per level
        raise CheckpointError(f"{folder / CARD} is nested too deeply to be a card") from None
    if not isinstance(card, dict) or any(k not in card for k in REQUIRED_CARD_KEYS):
        raise CheckpointError(f"{folder / CARD} lacks one of {', '.join(REQUIRED_CARD_KEYS)}")
    problem = card_problem(card)
    if problem:
        raise CheckpointError(f"{folder / CARD} is not a valid card: {problem}")
    if card["format_version"] != FORMAT_VERSION:
        raise CheckpointError(f"{folder} has card format {card['format_version']!r}; this GenLab reads "
                              f"format {FORMAT_VERSION}")
    return card


@functools.cache
def _card_validator():
    from jsonschema import Draft202012Validator  # imported on first use: most processes read cards late or never
    return Draft202012Validator(CARD_SCHEMA)


def card_problem(card) -> str | None:
    """What is wrong with a card, in one line, or None (checked against CARD_SCHEMA)."""
    from jsonschema.exceptions import best_match

    error = best_match(_card_validator().iter_errors(card))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "the card"
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return f"{where}: {message}"


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
    except (TypeError, ValueError, GenLabError) as error:
        raise CheckpointError(f"{where}: config does not describe a valid model ({error})") from None


def load_snapshots(path: str | os.PathLike) -> dict[int, torch.Tensor]:
    """Training-time samples by step (empty when the checkpoint has none)."""
    file = folder_of(path) / SNAPSHOTS
    if not file.is_file():
        return {}
    try:
        raw = load_file(str(file))
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{file} is not readable ({error})") from None
    return dict(sorted((int(k.split("_")[-1]), v) for k, v in raw.items()))


def list_checkpoints(history: bool = True) -> list[CheckpointInfo]:
    """Shipped checkpoints, then the user's own; folders that are not checkpoints are passed over, and
    damaged ones are listed with the card {"error": ...} so they can be reported rather than hidden.
    `history=False` leaves each card's training history out (a picker needs the rest: the histories are 99% of the
    cards' size, 8.8 MB for the shipped ones, and a server that re-read them for every page run spent its memory
    on them: DEVELOPERS.md, "Serving many visitors")."""
    read = read_card if history else _card_without_history
    found = []
    for source, root in (("shipped", SHIPPED_DIR), ("user", user_dir())):
        if not root.is_dir():
            continue
        recover(root)
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if not (folder / CARD).exists():
                continue
            try:
                card = read(folder)
            except CheckpointError as error:
                card = {"error": str(error)}
            found.append(CheckpointInfo(folder.name, folder, source, card))
    for folder in registered():  # saved with --out elsewhere
        try:
            card = read(folder)
        except CheckpointError as error:
            card = {"error": str(error)}
        found.append(CheckpointInfo(folder.name, folder, "user", card))
    return found


# folder -> ((the card file's mtime, size, inode), its card without the history): a card is parsed and checked once
# per change, not once per listing (a listing of 48 cards parsed ~1.1 million JSON values)
_LIGHT_CARDS: dict[Path, tuple[tuple[int, int, int], dict]] = {}


def _card_without_history(folder: Path) -> dict:
    """read_card(folder) less its "history", cached on the card file's stat; a copy, so callers may change it."""
    try:
        stat = (folder / CARD).stat()
    except OSError:
        return read_card(folder)  # gone or unreadable: read_card says which
    key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    cached = _LIGHT_CARDS.get(folder)
    if cached is None or cached[0] != key:
        card = read_card(folder)
        card.pop("history", None)
        cached = _LIGHT_CARDS[folder] = (key, card)
    return copy.deepcopy(cached[1])


def resolve(ref: str | os.PathLike) -> Path:
    """A checkpoint folder from a path, or from a name in the listing (shipped names win)."""
    path = Path(ref).expanduser()
    if not path.exists() and path.parent.is_dir():
        recover(path.parent)  # a replace killed half-way: the old checkpoint comes back under its name
    if path.exists():
        folder = folder_of(path)
        if not (folder / CARD).is_file():
            raise CheckpointError(f"{folder} is not a checkpoint: it has no {CARD}")
        return folder
    # names and folders only: the cards without their histories, parsed once per change (a full listing per name
    # re-read 8.8 MB of histories, ~0.35 s, six times for a tab that names six checkpoints)
    listing = list_checkpoints(history=False)
    matches = [info.path for info in listing if info.name == str(ref)]
    if matches:
        return matches[0]
    names = ", ".join(info.name for info in listing) or "none"
    raise CheckpointError(f"no checkpoint named or at {str(ref)!r}; known: {names}")


def weights_hash(ref: str | os.PathLike) -> str:
    """The SHA-256 of a checkpoint's weights as its card records it ("" for an old card without one), read from the
    history-free card cache: what a figure measured on these weights is keyed by, without loading the model."""
    return _card_without_history(resolve(ref)).get("weights_sha256", "")


def summary(card: dict) -> str:
    """One line of a card's key facts."""
    if "error" in card:
        return f"DAMAGED: {card['error']}"
    metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in list(card.get("metrics", {}).items())[:4])
    return (f"{card['family']} on {card['dataset'].get('name', '?')}, {card.get('steps', '?')} steps, "
            f"{card.get('created', '?')[:10]}" + (f"; {metrics}" if metrics else ""))


def write_cards(names: list[str]) -> int:
    """The --write-cards command: README.md and history.csv for each checkpoint, from its card."""
    try:
        folders = [resolve(n) for n in names] or [i.path for i in list_checkpoints() if i.source == "shipped"]
        for folder in folders:
            model_card.write(folder, read_card(folder))
            print(f"wrote {folder / model_card.README} and {model_card.HISTORY}")
    except (GenLabError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=cli.program("gen_core.checkpoints"),
        description="List GenLab checkpoints: the shipped ones and your own ($GENLAB_HOME/checkpoints).")
    parser.add_argument("--json", action="store_true", help="print the cards as JSON instead of a table")
    parser.add_argument("--write-cards", nargs="*", metavar="NAME",
                        help="(re)write README.md model cards and history.csv from card.json for these checkpoints "
                             "(names or folders; none given: every shipped one)")
    args = parser.parse_args(argv)
    if args.write_cards is not None:
        return write_cards(args.write_cards)

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
