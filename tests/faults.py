"""What the bad-input tests share (tests/unit/test_bad_inputs.py, the catalogue, and tests/pages/
test_bad_page_inputs.py): snapshots of folders to prove nothing changed, the one-line error check, and small
checkpoints to damage."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from gen_core import checkpoints
from gen_core.models import vae

ROOT = Path(__file__).resolve().parent.parent
CACHES = ("data/digits-split-", "data/shapes-", "cache/")  # derived files GenLab may (re)build at any time


def tree(root: Path) -> dict:
    """Every file and folder under root (hidden ones included) with its contents' hash: what 'untouched' is
    checked against. GenLab's own derived caches (the digits split, the shapes set) are left out."""
    import hashlib
    if not root.exists():
        return {}
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if key in ("data", "cache") or key.startswith(CACHES):
            continue
        found[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return found


def shipped_state() -> dict:
    """The shipped checkpoints by size and modification time (cheap enough to check after every case)."""
    return {str(p.relative_to(ROOT)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in (ROOT / "assets" / "checkpoints").rglob("*")}


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing was printed on stderr"
    assert not any("Traceback" in line for line in err), "\n".join(err)
    assert err[-1].startswith("error: "), err[-1]
    return err[-1]


def save_vae(folder: Path, *, latent_dim=3, dataset=None, corrupt=None) -> Path:
    """A small VAE checkpoint (optionally with weights made NaN, the checksum then matching them)."""
    torch.manual_seed(0)
    config = vae.Config(latent_dim=latent_dim, channels=4)
    model = vae.build(config)
    card = checkpoints.make_card(family="vae", config=config, dataset=dataset or {"name": "digits", "kind": "image"},
                                 command="python -m gen_core.train vae --dataset digits", steps=3,
                                 metrics={"test_elbo": -30.0})
    path = checkpoints.save(folder, model, card)
    if corrupt == "nan":
        from safetensors.torch import load_file, save_file
        state = load_file(str(path / checkpoints.WEIGHTS))
        state = {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v for k, v in state.items()}
        save_file(state, str(path / checkpoints.WEIGHTS))
        card = checkpoints.read_card(path)
        card["weights_sha256"] = checkpoints.file_sha256(path / checkpoints.WEIGHTS)  # a checksum that matches
        (path / checkpoints.CARD).write_text(json.dumps(card))
    return path


DELETE = object()


def edit(card: dict, path: str, value) -> dict:
    """card with the value at a dotted path replaced (value DELETE removes the key)."""
    keys = path.split(".")
    target = card
    for key in keys[:-1]:
        target = target[key]
    if value is DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return card
