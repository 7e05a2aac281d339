"""Glow tab: one z at temperatures 0 to 1, interpolation in z between two test images, and the invertibility
check image -> z -> image."""
from __future__ import annotations

import streamlit as st

from app_pages.likelihood_lab import diagrams
from gen_core.labs import likelihood as lab
from ui.exports import sample_downloads
from ui.lab_cache import Data, lab_call
from ui.images import labelled_grid
from ui.loaders import choose_checkpoint, get_core, get_dataset
from ui.settings import global_seed
from ui.widget_keys import LIKELIHOOD

TEMPERATURES = (0.0, 0.25, 0.5, 0.7, 0.85, 1.0)


@st.fragment
def show() -> None:
    st.markdown("Glow is a normalizing flow: an invertible network f maps an image to a Gaussian z of the same "
                "size, and log p(x) = log N(f(x)) + log |det df/dx| exactly. Each step is an actnorm (a learned "
                "per-channel scale and shift), an invertible 1x1 convolution (a learned mixing of channels, "
                "generalising RealNVP's fixed permutation) and an affine coupling; halfway, half the channels leave "
                "as z (the multi-scale split).")
    name = choose_checkpoint("glow", LIKELIHOOD.GLOW_MODEL, "Model",
                             "python -m gen_core.train glow --dataset digits-binary --epochs 120")
    if name is None:
        return
    core = get_core()
    card = core.load(name).card
    dataset = get_dataset(card["dataset"]["name"])

    st.subheader("Temperature")
    seed = st.number_input("Seed", 0, 2**31 - 1, global_seed(), key="ll_glow_seed", bind="query-params")
    temperatures = lab_call(lab.glow_temperatures, core.device, name, TEMPERATURES, 6, int(seed))
    grid = temperatures["grid"]
    n = len(grid) // len(TEMPERATURES)
    picture = labelled_grid(grid, [], n, tile_px=72, outline=True, row_labels=[f"T = {t:g}" for t in TEMPERATURES])
    st.image(picture, output_format="PNG")
    sample_downloads(picture, grid, f"{name}-temperatures-seed{seed}", key="glow_temperatures")
    st.caption("Each column keeps its standard-normal draw; each row scales it by T before the inverse flow. T = 0 "
               "is every prior's mean (the model's 'average' image); T = 1 samples the model itself, with all its "
               "spread; Glow's authors sampled at T = 0.7 for cleaner images."
               + (f" {temperatures['redrawn']} draw(s) of this seed were passed over: at some T their inverse flow "
                  "overflowed to NaN (a flow is exactly invertible on paper, not in float32), so the next draw "
                  "took the column." if temperatures["redrawn"] else ""))

    st.subheader("Interpolation in z")
    c = st.columns(2)
    a = c[0].number_input("From test image #", 0, len(dataset.x_test) - 1, 0, key="ll_glow_a", bind="query-params")
    b = c[1].number_input("To test image #", 0, len(dataset.x_test) - 1, 5, key="ll_glow_b", bind="query-params")
    path = lab.glow_interpolation(core, name, dataset.x_test[int(a)], dataset.x_test[int(b)], 10)
    st.image(labelled_grid(path, ["from"] + [""] * 8 + ["to"], 10, tile_px=72, outline=True), output_format="PNG")
    st.caption("Both ends are the images themselves, recovered exactly: a flow's z loses nothing, unlike a VAE's "
               "code. In between, the straight line in z passes through images the flow finds likely.")

    st.subheader("Invertibility check")
    with st.spinner("Inverting the test images (once per machine: the result is kept on disk)..."):
        check = lab_call(lab.glow_round_trip, core.device, name, Data(card["dataset"]["name"]))
    st.code(f"image -> z -> image on {check['images']:,} test images ({check['pixels']:,} values):\n"
            f"  largest error  {check['max_error']:.2e}\n  pixels that change level  {check['pixels_changed']}",
            language=None)
    metrics = card.get("metrics", {})
    st.caption(f"Test likelihood: {metrics.get('test_nll_nats', float('nan')):.2f} nats per image, "
               f"{metrics.get('bits_per_dim', float('nan')):.3f} bits per pixel (a bound: see the likelihood table).")
    diagrams.flow(str(core.device), name, dataset)
