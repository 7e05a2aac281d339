"""GAN Studio: sample trained GANs, steer them (seed, truncation, class, interpolation), and look inside
(the discriminator's opinion, nearest training neighbours, training history with a progressive GAN's growth,
mode collapse); and CycleGAN's unpaired translation, with what it learned checked against the known answer.

A thin page: each tab is a module of this folder and gets the chosen GAN as one frozen `Studio` (studio.py);
the variant tabs (style mixing, self-attention, truncation) pick their own models."""
import streamlit as st

from app_pages.gan_studio import (adaptation, attention, collapse, cyclegan, dataset_size, diagram, features,
                                  history, interpolation, samples, style_mixing, synthetic, truncation)
from app_pages.gan_studio.studio import Studio
from ui.loaders import get_core, get_dataset, pick_checkpoint
from ui.settings import reproduce
from ui.text import plain
from ui.widget_keys import GAN
from ui.tabs import show_tabs

GAN_FAMILIES = ("gan", "dcgan", "cgan")
VARIANT_FAMILIES = ("biggan", "sagan", "stylegan")  # listed after the others: each has a tab of its own too

st.title("GAN Studio")
st.markdown(r"A generator $G$ turns noise $z \sim \mathcal{N}(0, I)$ into data; a discriminator $D$ scores how real "
            r"it looks. Pick a trained model, steer its samples, and look at what each network learned.")

by_name, name, loaded = pick_checkpoint(
    GAN_FAMILIES + VARIANT_FAMILIES, GAN.MODEL, last=VARIANT_FAMILIES,
    resets=("gan_count", "gan_classes", "gan_inspect", "gan_from", "gan_to", "gan_snapshot"),
    train_hint="python -m gen_core.train dcgan --dataset digits")
core = get_core()
studio = Studio(name=name, core=core, loaded=loaded, dataset=get_dataset(loaded.card["dataset"]["name"]),
                models=tuple((n, m["card"]) for n, m in by_name.items()))
config = studio.config
st.caption(f"{studio.card['family']} · {config['arch']} networks · {config['loss']} objective · z of size "
           f"{config['z_dim']} · {studio.card['steps']} steps on {plain(studio.dataset.name)}"
           + reproduce(studio.card.get('command', '?')))

device = str(core.device)
# Stateful tabs: only the open tab runs, and ?gan_tab=Interpolation links to one.
TABS = {"Samples": lambda: samples.show(studio), "Diagram": lambda: diagram.show(studio),
        "Interpolation": lambda: interpolation.show(studio),
        "Training history": lambda: history.show(studio), "Mode collapse": lambda: collapse.show(studio),
        "CycleGAN": lambda: cyclegan.show(studio), "Style mixing": lambda: style_mixing.show(device),
        "Self-attention": lambda: attention.show(device), "Truncation trade-off": lambda: truncation.show(device),
        "Domain adaptation": lambda: adaptation.show(device), "Synthetic data": lambda: synthetic.show(device),
        "Features": lambda: features.show(device), "Dataset size": lambda: dataset_size.show(device)}
show_tabs(TABS, key=GAN.TAB, page="gan")
