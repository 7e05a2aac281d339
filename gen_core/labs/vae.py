"""The VAE Latent Explorer's tensor work that every visitor shares: the test set through a VAE's encoder, once per
model and device for the whole process (10,000 Fashion-MNIST images take seconds; the server warms its default
VAE's at start-up, ui/warmup.py)."""
from __future__ import annotations

import functools

from gen_core.models import vae


@functools.lru_cache(maxsize=8)
def encoded_test_set(core, name: str) -> dict:
    """mu, logvar, labels and each image's ELBO terms (recon_nll, kl, kl_per_dim) for the test set of the VAE
    `name`, as vae.encode_dataset returns them (NumPy). Shared: treat the arrays as read-only."""
    return core.run(name, lambda m: vae.encode_dataset(m.model, m.card["dataset"]["name"]))
