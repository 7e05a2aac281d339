"""Results measured once and kept as JSON: shipped with GenLab (a folder under assets/, written by a bench script's
--ship) or cached under $GENLAB_HOME/cache, so a slow measurement (the likelihood table's diffusion bound, the HMM
learning curve a lesson reveals) never runs while a visitor waits twice."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from gen_core.data.dataset import genlab_home


def write_atomic(path: Path, value, indent: int | None = None) -> None:
    """JSON to `path` through a temporary file renamed over it (readers never see half a file); a read-only place
    is left alone (the value is then measured again next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value, indent=indent), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def cached_json(file_name: str, shipped: Path, cache_folder: str, compute: Callable[[], object],
                decode: Callable = lambda value: value, encode: Callable = lambda value: value,
                indent: int | None = None):
    """decode(the JSON in shipped/file_name, else in $GENLAB_HOME/cache/cache_folder/file_name); else compute(),
    kept there as encode(result) for next time. A file that does not decode is passed over."""
    cache = genlab_home() / "cache" / cache_folder
    for folder in (shipped, cache):
        try:
            return decode(json.loads((folder / file_name).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
    result = compute()
    write_atomic(cache / file_name, encode(result), indent)
    return result
