"""Latent diffusion tab: diffusion in a VAE's latent space against sampling the VAE's prior."""
from __future__ import annotations

import streamlit as st

from gen_core.labs import diffusion as lab
from gen_core import render
from ui.charts import legible
from ui.lab_cache import Data, lab_call
from ui.images import labelled_grid, show_grid
from ui.loaders import card_of, checkpoint_listing, choose_checkpoint
from ui.settings import global_seed


def vae_beta(vae_name: str):
    cards = {c["name"]: c["card"] for c in checkpoint_listing()}
    return cards.get(vae_name, {}).get("config", {}).get("beta", "?")


@st.fragment
def show(device: str) -> None:
    choice = choose_checkpoint("ldm", "diff_ldm_model", "Latent diffusion model",
                               "python -m gen_core.train ldm --dataset digits --set vae=vae-digits")
    if choice is None:
        return
    card = card_of(choice)
    vae_name = card["config"]["vae"]
    st.markdown(f"Diffusion in the {card['config']['latent_dim']}-dimensional latent space of `{vae_name}` "
                "(Rombach et al., 2022): a small MLP denoises codes, and the VAE's decoder turns the final code into "
                "an image, so each step costs a fraction of a pixel-space step. Latent diffusion pairs best with an "
                "autoencoder trained with a *weak* KL term (here beta = "
                f"{vae_beta(vae_name)}): it reconstructs sharply, but its codes do not fill N(0, I), so "
                "sampling the VAE the usual way, z ~ N(0, I), lands between the codes of real images and decodes to "
                "blends. The diffusion model learns where the codes really lie.")
    c = st.columns(2)
    n = c[0].select_slider("Samples", [16, 32, 64], 32, key="diff_ldm_n", bind="query-params")
    seed = c[1].number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_ldm_seed", bind="query-params")
    with st.spinner("Sampling in latent space..."):
        result = lab_call(lab.latent_samples, device, choice, Data(card["dataset"]["name"]), n, seed)
    left, right = st.columns(2)
    with left:
        st.markdown("**Latent diffusion** (DDIM, 50 steps, decoded)")
        show_grid(result["samples"], nrow=8)
    with right:
        st.markdown("**The VAE's prior**, z ~ N(0, I), decoded")
        show_grid(result["prior"], nrow=8)
    if result["ours"]:
        st.plotly_chart(legible(render.bar_figure(result["class_names"], {
            f"latent diffusion ({result['ours']['classes_covered']} classes covered)": result["ours"]["class_histogram"],
            f"VAE prior ({result['theirs']['classes_covered']} covered)": result["theirs"]["class_histogram"]},
            "What a classifier trained on real data calls the samples", "share of samples")),
            width="stretch", key="diff_ldm_chart")
        card_metrics = card.get("metrics", {})
        if "class_kl_from_uniform" in card_metrics:
            st.caption(f"On 500 samples at training time, KL(class histogram || uniform): latent diffusion "
                       f"{card_metrics['class_kl_from_uniform']:.3f} nats, the VAE's prior "
                       f"{card_metrics.get('vae_prior_class_kl_from_uniform', float('nan')):.3f} (0 = every class "
                       "equally often). With 32 samples the bars above are noisy; the grids show the difference in "
                       "quality: blends on the right.")
    path = result["decoded"][:, :8].transpose(0, 1).flatten(0, 1)
    st.image(labelled_grid(path, [""] * len(path), len(result["t"]), tile_px=48, row_labels=None),
             caption="Decoded predictions of the clean code along the run (one row per sample, left to right: "
                     f"t = {', '.join(str(t) if t >= 0 else 'end' for t in result['t'])})", output_format="PNG")
