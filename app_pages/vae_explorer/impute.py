"""Impute & anomalies tab: the VAE fills in a hidden part of a test image, and scores any input (a test image,
it inverted, noise, your picture) by its ELBO against the test set's."""
import streamlit as st
import torch

from app_pages.vae_explorer.explorer import Explorer
from gen_core import render
from gen_core.data.images import image_from_file
from gen_core.device import make_generator
from gen_core.errors import GenLabError
from gen_core.masks import MASKS, known_mask
from gen_core.models import vae
from ui.charts import legible
from ui.images import labelled_grid
from ui.text import plain


def read_upload(upload, shape) -> torch.Tensor | None:
    """An uploaded picture at the model's size, or None after saying why it could not be read."""
    try:
        x = image_from_file(upload, shape)
    except GenLabError as error:
        st.error(plain(error))
        return None
    if st.checkbox("Invert (make a dark-on-light picture light-on-dark, like the training data)", key="vae_invert", bind="query-params"):
        x = -x
    return x


@st.fragment
def show(ex: Explorer) -> None:
    name, core, dataset, mu, elbo = ex.name, ex.core, ex.dataset, ex.mu, ex.elbo
    left, right = st.columns(2)
    with left:
        st.subheader("Imputation")
        st.markdown("Hide part of an image; the VAE fills it in while the known pixels stay fixed "
                    "(generative models handle missing data by modelling the whole image).")
        c = st.columns(3)
        index = c[0].number_input("Test image #", 0, len(mu) - 1, 3, key="vae_impute_index", bind="query-params")
        mask_kind = c[1].selectbox("Hide", MASKS, key="vae_mask", bind="query-params")
        steps = c[2].slider("Steps", 1, 60, 30, key="vae_impute_steps", bind="query-params")
        x = dataset.x_test[index:index + 1]
        known = known_mask(tuple(x.shape), mask_kind)
        frames = core.run(name, lambda m: vae.impute(m.model, x, known, steps))
        shown = torch.cat([x, frames[0], frames[1], frames[len(frames) // 2], frames[-1]])
        st.image(labelled_grid(shown, ["original", "hidden", "step 1", f"step {len(frames) // 2}",
                                              f"step {steps}"], 5, tile_px=96),
                 caption=f"test #{index}: {mask_kind} hidden and filled in", output_format="PNG")
        error = float(((frames[-1] - x)[~known]).abs().mean())
        st.caption(f"Mean absolute error on the hidden pixels: {error:.3f} (on a [-1, 1] scale; grey fill: "
                   f"{float(x[~known].abs().mean()):.3f}).")
    with right:
        st.subheader("Anomaly score")
        st.markdown("A generative model gives every input a likelihood bound. Inputs unlike the training data get a "
                    "low ELBO; compare one with the test set's.")
        kind = st.radio("Input", ["a test image", "the same image inverted", "pure noise", "upload a picture"],
                        key="vae_anomaly_kind", bind="query-params", horizontal=True)
        probe = dataset.x_test[index]
        if kind == "the same image inverted":
            probe = -probe
        elif kind == "pure noise":
            probe = torch.rand(dataset.shape, generator=make_generator(int(index))) * 2 - 1
        elif kind == "upload a picture":
            upload = st.file_uploader("Picture", type=["png", "jpg", "jpeg", "bmp", "gif", "webp"], key="vae_upload")
            probe = read_upload(upload, dataset.shape) if upload is not None else None
            if probe is None:
                st.caption("Upload a picture to score it.")
                return
        score = float(core.run(name, lambda m: vae.elbo_of(m.model, probe[None], samples=16)))
        below = float((elbo < score).mean())
        st.plotly_chart(legible(render.histogram_figure({"test images": elbo}, "ELBO of the test set (nats)", "ELBO")
                        .add_vline(x=score, line_color="red", annotation_text="this input")), key="vae_anomaly_hist")
        st.metric("This input's ELBO", f"{score:.1f} nats", help="Averaged over 16 draws of z.")
        st.markdown(f"Higher than **{below:.0%}** of test images' ELBOs." + (" Flagged as an anomaly: below the "
                    "1st percentile of the test set." if below < 0.01 else ""))
        st.image(render.to_pil(probe, render.auto_scale(probe.shape[-2], 96)), caption="the input")
