"""Where GenLab's shipped files are (checkpoints, reference networks, test images, texts, measured tables): the
checkout's assets/ folder beside gen_core, or, in an installed wheel, the `genlab_assets` package that pyproject.toml
maps that same folder to. Every module finds them here, never by its own relative path."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def assets_dir() -> Path:
    checkout = Path(__file__).resolve().parent.parent / "assets"
    if checkout.is_dir():
        return checkout
    spec = importlib.util.find_spec("genlab_assets")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return checkout  # neither: every lookup below then reports its file missing in one line


ASSETS = assets_dir()
