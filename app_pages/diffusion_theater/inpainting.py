"""Inpainting tab: hide part of a test image and let the model fill it, several times from different noise."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core.labs import diffusion as lab
from gen_core.masks import MASKS
from app_pages.diffusion_theater.context import Theater
from ui.lab_cache import Data, lab_call
from ui.images import labelled_grid
from ui.settings import global_seed

# DDIM steps per fill. 50 by default: on the 8x8 digits the fills look as good as at 100 (bench: the same share of
# fills a classifier reads as the original's class, 92 and 98 of 160) in half the time (0.19 s against 0.37 s for
# eight fills on a 2-core CPU), so a new image answers at once; more steps are a click away.
STEP_CHOICES = [25, 50, 100, 250]
DEFAULT_STEPS = 50


@st.fragment
def show(theater: Theater) -> None:
    st.markdown("Hide part of an image and let the model fill it in. At every reverse step the known pixels are "
                "replaced by the forward process applied to the real image, so only the hidden region is generated "
                "(the replacement method of RePaint). Different noise gives different, equally plausible fills.")
    dataset, names = theater.dataset, theater.class_names
    c = st.columns(5)
    index = c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 7, key="diff_inp_index", bind="query-params")
    mask_kind = c[1].selectbox("Hide", MASKS, index=MASKS.index("top half"), key="diff_inp_mask", bind="query-params")
    n = c[2].select_slider("Fills", [4, 8], 8, key="diff_inp_n", bind="query-params")
    steps = c[3].select_slider("DDIM steps", STEP_CHOICES, DEFAULT_STEPS, key="diff_inp_steps", bind="query-params",
                               help="reverse steps per fill: more steps blend the fill and the known part more "
                                    "carefully and take proportionally longer")
    seed = c[4].number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_inp_seed", bind="query-params")
    with st.spinner(f"Inpainting: {n} fills x {steps} steps..."):
        result = lab_call(lab.inpaint, theater.device, theater.name, Data(theater.dataset_name), index, mask_kind, n, seed, steps)
    x = dataset.x_test[index:index + 1]
    shown = torch.cat([x, torch.where(result["known"][:1].bool(), x, torch.full_like(x, -0.35)), result["fills"]])
    labels = ["original", "known part"]
    if result["predicted"] is not None:
        labels += [f"as {names[p]}" for p in result["predicted"]]  # (PIL's default font has no arrows)
    else:
        labels += [f"fill {k + 1}" for k in range(n)]
    true_class = f" ({names[int(dataset.y_test[index])]})" if names else ""
    st.image(labelled_grid(shown, labels, len(shown), tile_px=80), output_format="PNG",
             caption=f"test #{index}{true_class}, {mask_kind} hidden; under each fill, what a classifier trained on "
                     "real data calls it")
    st.image(labelled_grid(result["x0_path"], [f"t={t}" if t >= 0 else "done" for t in result["t"]],
                                  len(result["t"]), tile_px=56),
             caption="The first fill's predicted x_0 along the run", output_format="PNG")
