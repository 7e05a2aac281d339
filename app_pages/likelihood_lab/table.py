"""Likelihood table tab: the same binarised test digits scored by every likelihood model, in nats per image and
bits per dimension, each marked exact or a bound, with samples beside each number."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from gen_core import likelihood
from ui.exports import table_download
from ui.images import labelled_grid
from ui.loaders import checkpoint_listing, core_on, get_core
from ui.widget_keys import LIKELIHOOD

SCORED_FAMILIES = ("pixelcnn", "glow", "vae", "ddpm", "d3pm", "vdm", "ardm")


def candidates() -> list[str]:
    """Checkpoints that can score 8x8 one-channel images: the binarised-digit models first."""
    found = [c for c in checkpoint_listing() if c["card"].get("family") in SCORED_FAMILIES
             and c["card"]["dataset"].get("shape") == [1, 8, 8]]
    found.sort(key=lambda c: (c["card"]["dataset"]["name"] != "digits-binary", c["name"]))
    return [c["name"] for c in found]


def rows_for(names: tuple[str, ...], device: str) -> list[dict]:
    """The table's rows: from the shipped or cached file for these weights, else computed with a progress bar
    (diffusion's bound: T network calls) and cached on disk for the next visitor."""
    bar = st.empty()

    def progress(k, total):
        if k % 20 == 0 or k == total:
            bar.progress(k / total, text=f"Diffusion's bound: timestep {k} of {total}")
    rows = likelihood.cached_table(core_on(device), names, progress=progress)
    bar.empty()
    return [r.__dict__ for r in rows]


@st.cache_data(show_spinner=False, max_entries=16)
def samples(name: str, device: str) -> object:
    """Eight samples to show beside a model's number; a non-finite pixel (a briefly trained flow's inverse can
    overflow) is shown black rather than drawn as garbage."""
    return core_on(device).sample(name, 8, seed=0).nan_to_num(nan=-1.0, posinf=1.0, neginf=-1.0).clamp(-1, 1)


@st.fragment
def show() -> None:
    st.markdown("Which model gives the test digits the highest probability? Every number below is -log P(x) for the "
                "same 360 binarised 8x8 test digits (each pixel ink or not), in nats per image: lower is better. "
                "**Exact** numbers are the model's true probability; a **bound** says the model gives the data at "
                "least that probability (its -log P is at most the number), and the truth may be better.")
    options = candidates()
    default = [n for n in likelihood.DEFAULT_MODELS if n in options]
    names = st.multiselect("Models", options, default, key=LIKELIHOOD.TABLE_MODELS, bind="query-params")
    if not names:
        st.info("Choose at least one model.")
        return
    core = get_core()
    rows = rows_for(tuple(names), str(core.device))
    frame = pd.DataFrame([{"model": r["model"], "kind": r["kind"], "nats per image": r["nats"],
                           "bits per pixel": r["bits_per_dim"], "seconds to score": r["seconds"], "how": r["note"]}
                          for r in rows])
    st.dataframe(frame, hide_index=True, column_config={
        "nats per image": st.column_config.NumberColumn(format="%.2f"),
        "bits per pixel": st.column_config.NumberColumn(format="%.3f"),
        "seconds to score": st.column_config.NumberColumn(format="%.2f")})
    table_download(frame, "genlab-likelihood-digits-binary", key="ll_table")
    st.caption("Seconds to score: measured once when the table was computed (shipped tables: on the machine that "
               "wrote them). The diffusion bound runs the network once per timestep, T = 1000 times per batch.")

    st.subheader("Samples beside each number")
    columns = st.columns(min(3, len(names)))
    for k, name in enumerate(names):
        best = min(r["nats"] for r in rows if r["model"] == name)
        with columns[k % len(columns)]:
            st.image(labelled_grid(samples(name, str(core.device)), [""] * 8, 4, tile_px=56, outline=True), output_format="PNG",
                     caption=f"{name}: {best:.1f} nats")
    st.markdown("Likelihood and sample quality disagree: a model can give test images high probability while its "
                "samples look poor (it spreads mass to cover every test image, including over blurry or noisy "
                "ones), and a model with crisp samples can score badly (a GAN has no likelihood at all). For "
                "scale, the literature's binarised MNIST (784 pixels, not 64): PixelCNN 81.45 nats, a VAE <= 86.77 "
                "nats (pytorch-generative's table), about 0.15 and 0.16 bits per pixel; GenLab's digits are 8x8 "
                "downsampled scans, so each pixel carries more uncertainty and their bits per pixel are higher.")

    fashion_table(core)


def fashion_table(core) -> None:
    """Real 8-bit images: the exact-likelihood models trained on Fashion-MNIST, scored on all 10,000 test images
    (each card's figure, computed when it was trained), beside the one baseline every model must beat."""
    models = [c for c in checkpoint_listing() if c["card"].get("family") in ("glow", "pixelcnn")
              and c["card"]["dataset"].get("name") == "fashion-mnist" and "bits_per_dim" in c["card"]["metrics"]]
    if not models:
        return
    st.subheader("Real 8-bit images: Fashion-MNIST")
    rows = [{"model": c["name"], "kind": "bound (dequantised)" if c["card"]["family"] == "glow" else "exact",
             "bits per dimension": c["card"]["metrics"]["bits_per_dim"],
             "nats per image": c["card"]["metrics"]["test_nll_nats"], "test images": 10_000} for c in models]
    rows.append({"model": "uniform over 256 grey levels", "kind": "exact", "bits per dimension": 8.0,
                 "nats per image": 784 * 8 * 0.6931471805599453, "test images": 10_000})
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        "bits per dimension": st.column_config.NumberColumn(format="%.3f"),
        "nats per image": st.column_config.NumberColumn(format="%.1f")})
    table_download(rows, "genlab-likelihood-fashion-mnist", key="ll_fashion_table")
    columns = st.columns(min(3, len(models)))
    for k, c in enumerate(models):
        with columns[k % len(columns)]:
            st.image(labelled_grid(samples(c["name"], str(core.device)), [""] * 8, 4, outline=True),
                     output_format="PNG", caption=f"{c['name']}: {c['card']['metrics']['bits_per_dim']:.3f} bits/dim")
    st.caption("Bits per dimension = -log2 p(x) / 784 on the 28x28 grey test images, dequantised (uniform noise "
               "within each grey level): a bound on the discrete images' probability. A model that knew nothing "
               "would spend 8 bits on every pixel. GenLab's flow trained for two epochs on a laptop CPU; published flows, "
               "trained far longer on GPUs, score much lower.")
