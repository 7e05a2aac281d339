"""Interpolation tab: a linear or spherical path through z between two samples of the Samples grid (class morphs
for the conditional model), as a strip, a GIF to download and D along the path."""
import numpy as np
import streamlit as st
import torch

from app_pages.gan_studio.studio import Studio, current_batch
from gen_core import latent, render
from gen_core.models import gan
from ui.charts import legible
from ui.images import show_grid
from ui.settings import clamp_state


@st.cache_data(show_spinner=False, max_entries=16)
def path_gif(frames: np.ndarray) -> bytes:
    """The path played there and back as a GIF, encoded once per path (not on every rerun of every visitor's page:
    a class following the teacher reran it thirty times)."""
    x = torch.from_numpy(frames)
    scale = render.auto_scale(x.shape[-2], 160)
    pictures = [render.to_pil(im, scale) for im in x]
    return render.gif_bytes(pictures + pictures[-2:0:-1], duration_ms=90)


@st.fragment
def show(studio: Studio) -> None:
    name, core, class_names = studio.name, studio.core, studio.class_names
    batch = current_batch(studio)
    n = len(batch["x"])
    cols = st.columns(4)
    clamp_state("gan_from", 0, n - 1, default=0)
    clamp_state("gan_to", 0, n - 1, default=n - 1)
    a = cols[0].number_input("From sample #", min_value=0, max_value=n - 1, key="gan_from", bind="query-params")
    b = cols[1].number_input("To sample #", min_value=0, max_value=n - 1, key="gan_to", bind="query-params")
    path = cols[2].radio("Path", latent.PATHS, horizontal=True, key="gan_path", bind="query-params",
                         help="Spherical paths keep |z| at the size of typical samples; linear ones pass nearer "
                              "the origin, where few training samples' codes lie.")
    frames = cols[3].slider("Frames", 4, 32, 12, key="gan_frames", bind="query-params")
    z = latent.interpolate(batch["z"][a], batch["z"][b], frames, path)
    labels = batch["labels"]
    label_from, label_to = (None, None) if labels is None else (int(labels[a]), int(labels[b]))
    x, d = core.run(name, lambda m: gan.generate_path(m.model, z, label_from, label_to))
    show_grid(x, nrow=frames, caption=f"{path} path from #{a} to #{b}" +
              (f", class {class_names[label_from]} -> {class_names[label_to]}" if labels is not None else ""))
    gif = path_gif(x.numpy())
    left, right = st.columns([1, 2])
    left.image(gif, caption="animation")
    left.download_button("Download GIF", gif, file_name=f"{name}-{a}-to-{b}.gif", mime="image/gif")
    right.plotly_chart(legible(render.line_figure(list(range(frames)), {"D(x)": d.tolist()}, "The discriminator along "
                       "the path", "D(x)", window=1).update_xaxes(title="frame")), key="gan_path_d")
