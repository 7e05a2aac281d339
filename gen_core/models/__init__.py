"""One module per model family, each with the same small, duck-typed contract:

- `Config`: a frozen dataclass holding every hyper-parameter (stored whole in the checkpoint card);
- `DATA_KINDS`: the dataset kinds it trains on ("image", "points");
- `config_for(dataset, **overrides) -> Config`: sensible defaults for a dataset;
- `build(config) -> nn.Module`: the networks;
- `Trainer(model, config)` with `step(x, y, generator) -> dict of floats`: one optimisation step;
- `sample(model, n, *, generator, label=None) -> Tensor`: new data, images in [-1, 1];
- `evaluate(model, dataset, generator) -> dict`: the metrics written to the card.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from gen_core.errors import GenLabError

FAMILIES = {
    "vae": "gen_core.models.vae",
}


def get_family(name: str) -> ModuleType:
    """The module implementing family `name`; a GenLabError names the choices for an unknown one."""
    if name not in FAMILIES:
        raise GenLabError(f"unknown family {name!r}; choose one of {', '.join(FAMILIES)}")
    return importlib.import_module(FAMILIES[name])
