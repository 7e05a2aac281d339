"""What every VAE Latent Explorer tab knows about the chosen model: one frozen `Explorer` built once per rerun by
the page (the model, its data and the test set's codes), and what several tabs do with it: decode codes, find a
map's projection (computed in the background when it is slow), and remember the places picked on the map."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from gen_core import embed
from gen_core.core import InferenceCore
from gen_core.data import Dataset
from gen_core.labs import vae as vae_lab
from gen_core.models import vae
from ui import latent_map, links
from ui.background import start_once
from ui.loaders import core_on

METHOD_LABELS = {"latent": "the latent itself (exact)", "umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}


def encoded(checkpoint: str, device: str) -> dict:
    """The test set through the encoder: mu, logvar, labels, ELBO terms (gen_core/labs/vae.py: once per model and
    device for the whole process)."""
    return vae_lab.encoded_test_set(core_on(device), checkpoint)


@dataclass(frozen=True, eq=False)
class Explorer:
    name: str                 # the chosen VAE's checkpoint name
    core: InferenceCore
    loaded: object            # the loaded model: .model, .card, .path
    dataset: Dataset
    by_name: dict             # every VAE checkpoint listed in the picker, by name
    codes: dict               # encoded(name, device): mu, labels, recon_nll, kl, kl_per_dim of the test set

    @property
    def card(self) -> dict:
        return self.loaded.card

    @property
    def config(self) -> dict:
        return self.loaded.card["config"]

    @property
    def class_names(self) -> list[str]:
        return list(self.dataset.class_names)

    @property
    def latent_dim(self) -> int:
        return self.config["latent_dim"]

    @property
    def mu(self) -> np.ndarray:
        return self.codes["mu"]

    @property
    def labels(self) -> np.ndarray:
        return self.codes["labels"]

    @property
    def elbo(self) -> np.ndarray:
        return -(self.codes["recon_nll"] + self.codes["kl"])

    @property
    def method_key(self) -> str:
        # The projection radio has one key per model: its options differ between models, and a radio whose state
        # is forgotten on a model switch kept showing the old choice in the browser and sent it back on the next
        # click.
        return f"vae_method_{self.name}"


def decode(ex: Explorer, z) -> torch.Tensor:
    name, core = ex.name, ex.core
    return core.run(name, lambda m: vae.decode_latents(m.model, z))


def map_for(ex: Explorer, method: str) -> embed.Projection | None:
    """The projection if it is shipped or cached; otherwise start it in the background and return None."""
    loaded, card, dataset, mu = ex.loaded, ex.card, ex.dataset, ex.mu
    args = (loaded.path, card["weights_sha256"], embed.test_set_id(dataset.name), mu, method)
    ready = embed.cached_projection(*args, compute=False)
    if ready is not None or method in ("latent", "pca"):
        return ready or embed.cached_projection(*args)  # PCA and the identity are instant
    job = start_once(f"{card['weights_sha256']}:{method}", embed.cached_projection, *args)
    return job.result() if job.done() else None


def pick(index_or_place) -> None:
    """Remember the last two places picked on the map (for the walk): a test index or an (x, y) place. They go in
    the URL too (?vae_picks=12;0.53,-1.20), so a link restores the clicks and the walk's ends."""
    picks = st.session_state.setdefault("vae_picks", [])
    picks.append(index_or_place)
    del picks[:-2]
    links.write("vae_picks", latent_map.encode_picks(picks))


def place_of(p, projection) -> tuple[float, float]:
    return tuple(projection.coords[p]) if isinstance(p, (int, np.integer)) else tuple(p)
