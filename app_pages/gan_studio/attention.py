"""Self-attention tab (SAGAN): where a chosen pixel of generated images looked, from the generator's attention
layer, beside how far those maps are from uniform."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core import render
from gen_core.labs import gan as gan_lab
from gen_core.labs import uses
from gen_core.device import make_generator
from gen_core.models import gan
from ui.lab_cache import lab_call
from ui.loaders import checkpoint_listing, choose_checkpoint, core_on, get_dataset
from ui.settings import global_seed, seed_input

SAMPLES = 8


@st.cache_data(show_spinner=False, max_entries=16)
def attended(name: str, device: str, seed: int, label: int | None) -> dict:
    core = core_on(device)

    def run(loaded):
        model = loaded.model
        generator = make_generator(seed, core.device)
        z = gan.draw_latents(model, SAMPLES, generator)
        labels = gan.draw_labels(model, SAMPLES, generator, label)
        return gan_lab.generate_with_attention(model, z, labels) | {"labels": None if labels is None
                                                                    else labels.cpu()}
    return core.run(name, run)


@st.fragment
def show(device: str) -> None:
    st.markdown(r"A convolution sees a few neighbouring pixels; to draw the far side of a ring consistently with "
                r"this side, a plain convolutional generator needs many layers. **Self-attention** (SAGAN, Zhang et "
                r"al., 2019) lets every position look at every other one at once: position $j$ takes a weighted "
                r"average of the features of all positions $i$ with weights "
                r"$\beta_{j,i} = \mathrm{softmax}_i(f(x_i)^\top g(x_j))$, which sum to one. The orange below is "
                r"$\beta_{j,\cdot}$ for the framed pixel $j$, in the generator's attention layer, for each sample.")
    c = st.columns([3, 2, 2, 2, 2])
    name = choose_checkpoint("sagan", "att_model", "Self-attention GAN",
                             "python -m gen_core.train sagan --dataset shapes --epochs 30 --set width=24", where=c[0])
    if name is None:
        return
    core = core_on(device)
    loaded = core.load(name)
    dataset = get_dataset(loaded.card["dataset"]["name"])
    side = dataset.shape[-1]
    seed = seed_input("Seed", "att_seed", global_seed(), where=c[1])
    names = list(loaded.card["dataset"].get("class_names", []))
    label = None
    if loaded.model.config.num_classes:
        choice = c[2].selectbox("Class", ["random", *names], key="att_class", bind="query-params")
        label = None if choice == "random" else names.index(choice)
    row = c[3].slider("Pixel row", 0, side - 1, side // 4, key="att_row", bind="query-params")
    col = c[4].slider("Pixel column", 0, side - 1, side // 2, key="att_col", bind="query-params")
    result = attended(name, device, int(seed), label)
    maps = [gan_lab.attention_of_pixel(result["beta"][k], result["side"], side, int(row), int(col))
            for k in range(SAMPLES)]
    pictures = [render.attention_overlay(result["x"][k], maps[k], (int(row), int(col)), scale=4)
                for k in range(SAMPLES)]
    st.image(render.side_by_side(pictures), output_format="PNG", width="stretch",
             caption=f"{SAMPLES} samples" + ("" if result["labels"] is None else " (" + ", ".join(
                 names[int(k)] for k in result["labels"]) + ")") + f": where pixel ({row}, {col}), framed in blue, "
             f"looked. The attention layer works at {result['side']}x{result['side']}; each of its positions covers "
             f"{side // result['side']}x{side // result['side']} pixels.")
    spread = gan_lab.attention_spread(torch.stack([m.flatten() for m in maps]))
    whole = gan_lab.attention_spread(result["beta"])
    on_shape = gan_lab.attention_on_shape(torch.stack(maps), result["x"])
    m = st.columns(4)
    m[0].metric("Entropy of this pixel's maps", f"{spread['entropy']:.2f} nats",
                help=f"log N = {spread['uniform_entropy']:.2f} nats would be uniform attention over all "
                     f"{result['side'] ** 2} positions.")
    m[1].metric("Entropy, all positions", f"{whole['entropy']:.2f} nats")
    m[2].metric("Weight on its own position", f"{whole['self_weight']:.3f}",
                help=f"Uniform would give 1/N = {1 / result['side'] ** 2:.4f}.")
    m[3].metric("This pixel's weight on the shape", f"{on_shape['weight_on_shape']:.0%}",
                delta=f"{on_shape['weight_on_shape'] - on_shape['shape_share']:+.0%} against uniform",
                delta_color="off", help=f"Positions with ink hold {on_shape['shape_share']:.0%} of the grid: what "
                                        f"uniform attention would give them.")
    st.caption(f"Maps below log N = {spread['uniform_entropy']:.2f} nats are focused: the position gathers from "
               f"a few places and not others, anywhere in the image, far beyond the 3x3 reach of one convolution. "
               f"In this model much of the weight often lands on a few background positions (a 'sink', common in "
               f"trained attention layers), and the rest on the shape. Move the pixel onto the background and onto a "
               f"stroke and compare. The layer's weight γ = "
               f"{float(loaded.model.generator.attention.gamma.detach()):.3f} (it starts at 0: training chose how "
               f"much to use attention).")
    weakness(device, name)


COMPARED = "cgan-shapes"  # the class-conditional DCGAN on the same shapes, for scale


def weakness(device: str, name: str) -> None:
    """How this self-attention GAN's samples measure against the conditional DCGAN on the same data, and why it stays
    the weakest GAN here (the issue asked to say so with the figure)."""
    if COMPARED not in {c["name"] for c in checkpoint_listing()} or name == COMPARED:
        return
    rows = {r["checkpoint"]: r for r in lab_call(uses.figures, device, "sample_quality", name, COMPARED)["rows"]}
    mine, other = rows[name], rows[COMPARED]
    card = core_on(device).load(name).card
    st.caption(f"How good are these samples? Against the test shapes, in the reference network's features: {name} "
               f"has Fréchet distance {mine['fd']:.0f} (the floor, training against test images: "
               f"{mine['fd_floor']:.1f}), precision {mine['precision']:.2f} but recall {mine['recall']:.2f} and "
               f"coverage {mine['coverage']:.2f}: what it draws looks like shapes, but each shape in few poses and "
               f"sizes. {COMPARED}, a class-conditional DCGAN on the same data, reaches {other['fd']:.0f}, "
               f"{other['precision']:.2f}, {other['recall']:.2f} and {other['coverage']:.2f}. This BigGAN-style "
               f"network (spectral norm, hinge loss, the attention layer) learns more slowly; {card.get('epochs')} "
               f"epochs at width {card['config'].get('width')} took {card.get('train_seconds', 0) / 60:.0f} minutes "
               f"on a {card.get('device', 'cpu')} here, and it is shipped to show where attention looks, not as a "
               f"good generator.")
