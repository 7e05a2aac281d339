"""Diffusion Theater: the forward process (data to noise) with its schedules and equation, the reverse process
(noise to data) step by step beside the model's guess of the clean image, DDPM against DDIM, classifier-free
guidance, inpainting, a 2-D model's vector field and trajectories, and diffusion in a VAE's latent space.

A thin page: each tab is a module of app_pages/diffusion_theater over gen_core/labs/diffusion.py, and gets the chosen image
model as one frozen Theater."""
import streamlit as st

from app_pages.diffusion_theater import (denoise, diagram, discrete, forward, guidance, inpainting, latent, reverse, samplers, superres,
                               toy, variational)
from app_pages.diffusion_theater.context import Theater
from ui.loaders import first_choice, checkpoints_of, get_core
from ui.settings import forget, reproduce
from ui.widget_keys import DIFFUSION
from ui.tabs import show_tabs


st.title("Diffusion Theater")
st.markdown(r"Diffusion models destroy data with noise in $T$ small steps, and learn to undo one step at a time. "
            r"A network $\epsilon_\theta(x_t, t)$ predicts the noise in $x_t$, which also gives its guess of the "
            r"clean image, $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta)/\sqrt{\bar\alpha_t}$. "
            r"Sampling runs that network once per step, which is why diffusion is slow, and why DDIM's skipped "
            r"steps matter.")

image_models = {c["name"]: c for c in checkpoints_of("ddpm") if c["card"]["dataset"].get("kind", "image") == "image"}
if not image_models:
    st.warning("No image diffusion checkpoints found. Train one: "
               "`python -m gen_core.train ddpm --dataset digits --set num_classes=10`.")
    st.stop()

names = list(image_models)
name = st.selectbox("Image model", names, index=names.index(first_choice(names, "ddpm")),
                    key=DIFFUSION.MODEL, bind="query-params", on_change=forget, args=("diff_run", "diff_label", DIFFUSION.GUIDE_LABEL))
theater = Theater.from_card(name, str(get_core().device), image_models[name]["card"])
config = theater.config
st.caption(f"U-Net of width {config['channels']}, {config['schedule']} schedule, T = {theater.T}, "
           f"{'class-conditional with classifier-free guidance' if theater.conditional else 'unconditional'}; "
           f"{theater.training_steps} training steps on {theater.dataset.name}" + reproduce(theater.command))

TABS = {"Forward": lambda: forward.show(theater), "Diagram": lambda: diagram.show(theater),
        "Reverse": lambda: reverse.show(theater),
        "Samplers": lambda: samplers.show(theater), "Guidance": lambda: guidance.show(theater),
        "Inpainting": lambda: inpainting.show(theater), "Denoising": lambda: denoise.show(theater),
        "Super-resolution": lambda: superres.show(theater.device),
        "2-D": lambda: toy.show(theater.device),
        "Latent diffusion": lambda: latent.show(theater.device), "Discrete": lambda: discrete.show(theater.device),
        "Variational": lambda: variational.show(theater.device)}
show_tabs(TABS, key=DIFFUSION.TAB, page="diffusion")
