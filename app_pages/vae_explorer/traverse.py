"""Traverse tab: one slider per latent dimension (most informative first) and a grid that turns each dimension
from -3 to +3 sigma around a test image's code."""
import numpy as np
import streamlit as st
import torch

from app_pages.vae_explorer.explorer import Explorer, decode
from gen_core.models import vae
from ui.exports import sample_downloads
from ui.images import labelled_grid
from ui.settings import clamp_state


@st.fragment
def show(ex: Explorer) -> None:
    name, core, dataset, latent_dim, codes, mu = ex.name, ex.core, ex.dataset, ex.latent_dim, ex.codes, ex.mu
    order = np.argsort(-codes["kl_per_dim"].mean(0))  # most informative dimensions first
    kl_dim = codes["kl_per_dim"].mean(0)
    picks = st.session_state.get("vae_picks", [])
    default = next((int(p) for p in reversed(picks) if isinstance(p, (int, np.integer))), 0)
    clamp_state("vae_base", 0, len(mu) - 1, default=default)
    base = st.number_input("Start from test #", min_value=0, max_value=len(mu) - 1, key="vae_base", bind="query-params",
                           help="Defaults to the last dot you clicked on the map.")
    z0 = torch.from_numpy(mu[base].copy())
    st.markdown("**One slider per latent dimension** (ordered by how much information it carries, its mean KL):")
    shown = order[:min(latent_dim, 16)]
    # the sliders are bound to the URL (?vae_z3=1.2: a link restores them); they start again from the new code when
    # the model or the start image changes, but not on the session's first run, which may come from a link
    owner = (name, int(base))
    if st.session_state.setdefault("vae_z_owner", owner) != owner:
        st.session_state["vae_z_owner"] = owner
        for dim in range(latent_dim):
            st.session_state.pop(f"vae_z{dim}", None)
    columns = st.columns(4)
    z = z0.clone()
    for k, dim in enumerate(shown):
        z[dim] = columns[k % 4].slider(f"z{dim} (KL {kl_dim[dim]:.2f})", -3.0, 3.0,
                                       round(float(np.clip(float(z0[dim]), -3, 3)), 1), 0.1, key=f"vae_z{dim}",
                                       bind="query-params")
    # The image and its decoded code side by side, then the traversal across the whole width: nine 84 px tiles a
    # row (Fashion-MNIST at 3x) do not fit beside them without the browser shrinking and blurring the grid.
    st.image(labelled_grid(torch.cat([dataset.x_test[base:base + 1], decode(ex, z[None])]),
                           [f"test #{base}", "decoded z"], 2, tile_px=112), output_format="PNG")
    rows = shown[:min(len(shown), 10)]
    values = torch.linspace(-3, 3, 9)
    grid = core.run(name, lambda m: vae.traversal_grid(m.model, z0, [int(d) for d in rows], values))
    picture = labelled_grid(grid, [f"{v:+.1f}" for v in values.tolist()] * len(rows), 9, tile_px=56,
                            row_labels=[f"z{d} KL {kl_dim[d]:.2f}" for d in rows])
    st.image(picture, caption=f"each row sets one dimension to -3σ … +3σ, the others stay at test #{base}'s code",
             output_format="PNG")
    sample_downloads(picture, grid, f"{name}-traversal-test{base}", key="vae_traversal")
