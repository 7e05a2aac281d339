"""Super-resolution tab: a diffusion model conditioned on a low-resolution image draws several high-resolution
ones consistent with it; with a low-resolution diffusion model in front, a two-stage cascade."""
from __future__ import annotations

import streamlit as st
import torch
import torch.nn.functional as F

from gen_core.labs import diffusion as lab
from gen_core.data.images import image_from_file
from gen_core.errors import GenLabError
from gen_core.models.cascade import downsample
from ui.lab_cache import lab_call
from ui.images import labelled_grid
from ui.loaders import card_of, choose_checkpoint, core_on, get_dataset
from ui.settings import global_seed
from ui.text import plain


def nearest(x: torch.Tensor, side: int) -> torch.Tensor:
    """A low-resolution image shown at full size with its big pixels (what the model is given)."""
    return F.interpolate(x, size=(side, side), mode="nearest")


@st.cache_data(show_spinner=False, max_entries=16)
def upscaled_test_image(sr_name: str, device: str, dataset_name: str, index: int, seed: int) -> dict:
    x = get_dataset(dataset_name).x_test[index:index + 1]
    low = downsample(x, core_on(device).load(sr_name).model.config.low_side)
    return {"x": x, "low": low, "samples": lab.upscale(core_on(device), sr_name, low[0], 8, seed)}


@st.fragment
def show(device: str) -> None:
    st.markdown("A super-resolution diffusion model (SR3) denoises a full-size image while reading the "
                "low-resolution one beside it. Upscaling is one-to-many: many sharp images shrink to the same "
                "blocky one, and a generative model draws several of them where interpolation returns one blur. "
                "Put a low-resolution diffusion model in front and the two make a cascade (Ho et al., 2021), how "
                "large image models generate: small first, detail after.")
    name = choose_checkpoint("srdiff", "diff_sr_model", "Super-resolution model",
                             "python -m gen_core.train srdiff --dataset digits --epochs 200 --set channels=16")
    if name is None:
        return
    card = card_of(name)
    core = core_on(device)
    dataset = get_dataset(card["dataset"]["name"])
    side, low_side = dataset.shape[-1], int(card["config"]["low_side"])

    st.subheader(f"Upscaling {low_side}x{low_side} to {side}x{side}")
    c = st.columns(2)
    index = c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 11, key="diff_sr_index", bind="query-params")
    seed = c[1].number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_sr_seed", bind="query-params")
    upload = st.file_uploader("Or upscale your own picture (shrunk to the low resolution first)",
                              type=["png", "jpg", "jpeg", "bmp", "gif", "webp"], key="diff_sr_upload")
    try:
        if upload is not None:
            x = image_from_file(upload, tuple(dataset.shape))[None]
            low = downsample(x, low_side)
            with st.spinner("Upscaling..."):
                result = {"x": x, "low": low, "samples": lab.upscale(core, name, low[0], 8, int(seed))}
            source = plain(f"your picture {upload.name}")
        else:
            with st.spinner("Upscaling..."):
                result = upscaled_test_image(name, device, dataset.name, int(index), int(seed))
            source = f"test #{index}"
    except GenLabError as error:
        st.error(plain(error))
        return
    bilinear = F.interpolate(result["low"], size=(side, side), mode="bilinear", align_corners=False).clamp(-1, 1)
    shown = torch.cat([result["x"], nearest(result["low"], side), bilinear, result["samples"]])
    errors = (result["samples"] - result["x"]).pow(2).flatten(1).mean(1)
    labels = ["original", f"given ({low_side}x{low_side})", "bilinear"] + [f"{e:.3f}" for e in errors]
    st.image(labelled_grid(shown, labels, 11, tile_px=72), output_format="PNG",
             caption=f"{source}: the original, what the model is given, bilinear interpolation, and 8 diffusion "
                     f"upscales (under each, its squared error against the original)")
    consistency = (downsample(result["samples"], low_side) - result["low"]).pow(2).mean()
    blur = (bilinear - result["x"]).pow(2).mean()
    st.caption(f"Shrunk back to {low_side}x{low_side}, the upscales differ from what they were given by "
               f"{consistency:.4f} (mean squared): they agree with the input and differ in the detail it does not "
               f"fix. Bilinear's error against the original: {blur:.3f}.")

    st.subheader("Two-stage cascade")
    base = choose_checkpoint("ddpm", "diff_sr_base", "Stage 1: low-resolution model",
                             "python -m gen_core.train ddpm --dataset digits-4x4 --epochs 300 --set channels=16",
                             accept=lambda card: card["dataset"].get("shape") == [dataset.shape[0], low_side, low_side])
    if base is None:
        return
    with st.spinner("Stage 1, then stage 2..."):
        run = lab_call(lab.cascade, device, base, name, 8, int(seed))
    rows = torch.cat([nearest(run["low"], side), run["bilinear"], run["high"]])
    st.image(labelled_grid(rows, [], 8, tile_px=72, row_labels=["stage 1", "bilinear", "stage 2"]),
             output_format="PNG", caption=f"Row 1: {base}'s {low_side}x{low_side} samples; row 2: those blown up by "
                                           f"interpolation; row 3: the super-resolution model's {side}x{side} images")
