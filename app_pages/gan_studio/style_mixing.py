"""Style mixing tab (StyleGAN): coarse styles from one sample and fine styles from another as a grid, how often the
reference classifier's class follows the coarse source, and what the per-pixel noise inputs change."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core.labs import gan as gan_lab
from gen_core.device import make_generator
from gen_core.models import gan
from ui.images import labelled_grid
from ui.loaders import choose_checkpoint, core_on, get_dataset
from ui.settings import global_seed, seed_input

NOISE_LAYERS = {"all": "every layer", "coarse": "the coarse layers only", "fine": "the fine layers only"}


@st.cache_data(show_spinner=False, max_entries=16)
def mixing_sheet(name: str, device: str, seed: int, crossover: int, truncation: float, rows: int, columns: int):
    core = core_on(device)

    def run(loaded):
        generator = make_generator(seed, core.device)
        z_rows = gan.draw_latents(loaded.model, rows, generator)
        z_columns = gan.draw_latents(loaded.model, columns, generator)
        return gan_lab.mixing_grid(loaded.model, z_rows, z_columns, crossover, truncation)
    return core.run(name, run)


@st.cache_data(show_spinner=False, max_entries=16)
def agreement(name: str, device: str, dataset_name: str, crossover: int, seed: int):
    core = core_on(device)
    return core.run(name, lambda m: gan_lab.mixing_agreement(
        m.model, get_dataset(dataset_name), gan_lab.MIXING_PAIRS, make_generator(seed, core.device), crossover))


@st.cache_data(show_spinner=False, max_entries=16)
def noise_draws(name: str, device: str, seed: int, layers: str):
    core = core_on(device)

    def run(loaded):
        generator = make_generator(seed, core.device)
        z = gan.draw_latents(loaded.model, 1, generator)
        return gan_lab.noise_effect(loaded.model, z, 8, generator, layers)
    return core.run(name, run)


@st.fragment
def show(device: str) -> None:
    st.markdown(r"**StyleGAN** (Karras et al., 2019) does not feed $z$ to the first layer. A mapping network turns "
                r"$z$ into $w$, and $w$ enters *every* layer as a style: adaptive instance normalisation sets the "
                r"scale and offset of each feature map from $w$, leaving where the features lie to the layers "
                r"below. Since each layer has its own copy of $w$, two samples can be *mixed*: "
                r"the coarse layers (the lowest resolution) take the style of one, the fine layers the style of "
                r"the other. Per-pixel noise added after each layer gives the rest: variation that no style "
                r"controls.")
    c = st.columns([3, 2, 3, 2])
    name = choose_checkpoint("stylegan", "sty_model", "StyleGAN model",
                             "python -m gen_core.train stylegan --dataset digits --epochs 100 --set width=32", where=c[0])
    if name is None:
        return
    seed = seed_input("Seed", "sty_seed", global_seed(), where=c[1])
    core = core_on(device)
    loaded = core.load(name)
    g = loaded.model.generator
    layers = [f"{side}x{side}" for side in g.sides]
    crossover = c[2].slider("Styles from the row source (the first k layers)", 1, g.num_styles - 1,
                            g.coarse_styles, key="sty_crossover", bind="query-params",
                            help="Layers 1..k take the row source's w, the rest the column source's. The default, "
                                 f"k = {g.coarse_styles}, is the coarse ({g.sides[0]}x{g.sides[0]}) layers.")
    psi = c[3].slider("Truncation ψ (in W)", 0.0, 1.0, 1.0, 0.05, key="sty_psi", bind="query-params",
                      help="w' = w_avg + ψ (w − w_avg): towards the average style.")
    dataset = get_dataset(loaded.card["dataset"]["name"])
    sheet = mixing_sheet(name, device, int(seed), int(crossover), float(psi), 5, 6)
    coarse_of = ", ".join(layers[:crossover])
    fine_of = ", ".join(layers[crossover:])
    st.image(labelled_grid(sheet, ["", *[f"fine {j + 1}" for j in range(6)]] +
                           sum(([f"coarse {r + 1}"] + [""] * 6 for r in range(5)), []), 7, tile_px=64),
             output_format="PNG", width="content",
             caption=f"Top row: the sources of the fine styles ({fine_of}). Left column: the sources of the coarse "
                     f"styles ({coarse_of}). Each other cell: its row's coarse styles with its column's fine ones.")
    found = agreement(name, device, dataset.name, int(crossover), int(seed))
    if found is not None:
        m = st.columns(3)
        m[0].metric("Class follows the row source", f"{found.follows_coarse:.0%}",
                    help=f"Among {gan_lab.MIXING_PAIRS} random pairs whose sources the reference classifier reads "
                         f"as different classes.")
        m[1].metric("Class follows the column source", f"{found.follows_fine:.0%}")
        m[2].metric("Pairs of different classes", found.pairs)
        st.caption("The digit (what the reference classifier reads) is decided by the coarse layers; the fine layers "
                   "change the stroke: its thickness, slant and small details. Move k: with more layers from the row "
                   "source, even more of the picture comes from it; with k = 1, the column source begins to win.")

    st.subheader("What the noise inputs change")
    where = st.radio("Fresh noise in", list(NOISE_LAYERS), format_func=NOISE_LAYERS.get, key="sty_noise_layers",
                     bind="query-params", horizontal=True)
    drawn = noise_draws(name, device, int(seed), where)
    tiles = torch.cat([drawn["noiseless"][None], drawn["images"]])
    std = drawn["std"]
    std_image = (std / std.max().clamp_min(1e-6) * 2 - 1)[None, None]
    st.image(labelled_grid(torch.cat([tiles, std_image]), ["no noise"] + [f"noise {k + 1}" for k in range(8)] +
                           ["where (std)"], 10, tile_px=64), output_format="PNG",
             caption=f"One w, eight draws of the per-pixel noise in {NOISE_LAYERS[where]}, and the same w with no "
                     f"noise at all. Last tile: the standard deviation over the draws, per pixel (white = most "
                     f"change; largest {float(std.max()):.3f}, mean {float(std.mean()):.3f}).")
    st.caption("The digit and its style stay; the noise moves small things: where a stroke's edge falls. That is "
               "what the noise inputs are for (StyleGAN, section 3.2): stochastic detail, kept out of the styles.")
