"""What every Diffusion Theater tab knows about the chosen image model: one small frozen value, built once per
rerun by the page and passed to each tab (no page globals)."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import torch

from gen_core.core import InferenceCore
from gen_core.data import Dataset
from ui.loaders import core_on, get_dataset

UNCONDITIONAL = "no class (unconditional)"


@dataclass(frozen=True)
class Theater:
    name: str                 # the image model's checkpoint name
    device: str               # the inference core's device, part of every cache key
    config: MappingProxyType  # the card's config, read-only
    dataset_name: str
    class_names: tuple[str, ...]
    training_steps: int
    command: str              # how the card says it was trained

    @classmethod
    def from_card(cls, name: str, device: str, card: dict) -> "Theater":
        return cls(name, device, MappingProxyType(dict(card["config"])), card["dataset"]["name"],
                   tuple(card["dataset"].get("class_names", [])), int(card.get("steps", 0)), card.get("command", "?"))

    @property
    def T(self) -> int:
        return int(self.config["timesteps"])

    @property
    def conditional(self) -> bool:
        return bool(self.config.get("num_classes"))

    @property
    def core(self) -> InferenceCore:
        return core_on(self.device)

    @property
    def dataset(self) -> Dataset:
        return get_dataset(self.dataset_name)

    def labels_for(self, choice: str, n: int) -> torch.Tensor | None:
        """The class labels for a class picker's choice, or None for an unconditional run."""
        if not self.conditional or choice == UNCONDITIONAL:
            return None
        return torch.full((n,), self.class_names.index(choice), dtype=torch.long)
