"""What every GAN Studio tab knows about the chosen model: one frozen `Studio`, built once per rerun by the page
and passed to each tab (no page globals), and the Samples grid that the Interpolation tab walks between."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

from gen_core.core import InferenceCore
from gen_core.data import Dataset
from gen_core.labs import gan as gan_lab
from ui.lab_cache import Data, lab_call
from ui.settings import global_seed
from ui.widget_keys import GAN

CLASS_ROWS = "one row per class"
RANDOM_CLASSES = "random classes"


@dataclass(frozen=True, eq=False)
class Studio:
    name: str                 # the chosen GAN's checkpoint name
    core: InferenceCore       # the shared inference core (models load once per process)
    loaded: object            # the loaded model: .model, .card (with its history), .path
    dataset: Dataset          # the data it was trained on (shared: never modify)
    models: tuple             # every GAN checkpoint listed in the picker (name, card), for the comparisons

    @property
    def card(self) -> dict:
        return self.loaded.card

    @property
    def config(self) -> dict:
        return self.loaded.card["config"]

    @property
    def class_names(self) -> list[str]:
        return self.loaded.card["dataset"].get("class_names", [])

    @property
    def conditional(self) -> bool:
        return bool(self.config.get("num_classes"))


def batch_labels(studio: Studio, count: int, classes: str):
    """The labels the grid asks for: None (the model draws them), one row per class, or one class."""
    if not studio.conditional or classes == RANDOM_CLASSES:
        return None
    chosen = None if classes == CLASS_ROWS else studio.class_names.index(classes)
    return torch.tensor(gan_lab.grid_labels(len(studio.class_names), count, chosen), dtype=torch.long)


def current_batch(studio: Studio, seed: int | None = None) -> dict:
    """The grid the Samples tab shows, from its widgets (or another seed): cached for every session of the process
    (gen_core.labs.gan.samples_batch), so thirty students pressing New samples at once share one computation."""
    return lab_call(gan_lab.samples_batch, *batch_inputs(studio, seed))


def current_nearest(studio: Studio, seed: int | None = None) -> dict:
    """The memorisation check of current_batch's grid (gen_core.labs.gan.nearest_training), cached the same way."""
    device, name, *rest = batch_inputs(studio, seed)
    return lab_call(gan_lab.nearest_training, device, name, Data(studio.dataset.name), *rest)


def batch_inputs(studio: Studio, seed: int | None = None) -> tuple:
    """current_batch's lab_call arguments, read from the widgets in the script run (a thread computing a batch
    ahead of time has no session to read them from)."""
    count = st.session_state.get("gan_count", gan_lab.GRID_COUNT[studio.conditional])
    classes = st.session_state.get("gan_classes", CLASS_ROWS)
    labels = batch_labels(studio, count, classes)
    n = len(labels) if labels is not None else count
    return (str(studio.core.device), studio.name, n,
            int(st.session_state.get("gan_seed", global_seed()) if seed is None else seed),
            float(st.session_state.get(GAN.TRUNCATION, 1.0)), None if labels is None else tuple(labels.tolist()))
