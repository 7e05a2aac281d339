"""Guidance tab: classifier-free guidance at several scales from the same noise, with how often a classifier
trained on real data recognises the class and how varied each row is."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from gen_core.labs import diffusion as lab
from app_pages.diffusion_theater.context import Theater
from ui.charts import legible
from ui.exports import sample_downloads
from ui.lab_cache import Data, lab_call
from ui.images import labelled_grid
from ui.settings import global_seed
from ui.widget_keys import DIFFUSION

SCALES = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0]
STEP_CHOICES = [10, 25, 50, 100]  # DDIM steps per sample; lab.GUIDANCE_STEPS by default (why: there)


@st.fragment
def show(theater: Theater) -> None:
    if not theater.conditional:
        st.info("This model is unconditional. Pick a class-conditional model (one trained with "
                "`--set num_classes=10`) to see classifier-free guidance.")
        return
    st.markdown(r"One network, trained with the class dropped 10% of the time, predicts both $\epsilon(x_t, t, y)$ and "
                r"$\epsilon(x_t, t, \varnothing)$. Guidance with scale $s$ uses $\epsilon(x_t,t,\varnothing) + s\,"
                r"(\epsilon(x_t,t,y) - \epsilon(x_t,t,\varnothing))$: $s=0$ ignores the class, $s=1$ is the plain "
                r"conditional model, $s>1$ pushes past it. Same noise in every column.")
    names = theater.class_names
    c = st.columns([1, 2, 1, 1, 1])
    label_name = c[0].selectbox("Class", names, index=min(3, len(names) - 1), key=DIFFUSION.GUIDE_LABEL, bind="query-params")
    scales = c[1].multiselect("Scales", SCALES, [0.0, 1.0, 2.0, 3.0, 5.0], key=DIFFUSION.GUIDE_SCALES, bind="query-params")
    n = c[2].select_slider("Samples per scale", [4, 8, 12], 8, key=DIFFUSION.GUIDE_N, bind="query-params")
    steps = c[3].select_slider("DDIM steps", STEP_CHOICES, lab.GUIDANCE_STEPS, key=DIFFUSION.GUIDE_STEPS, bind="query-params",
                               help="reverse steps per sample (deterministic DDIM): the time grows with them")
    seed = c[4].number_input("Seed", 0, 2**31 - 1, global_seed(), key=DIFFUSION.GUIDE_SEED, bind="query-params")
    if not scales:
        st.info("Choose at least one scale.")
        return
    scales = tuple(sorted(scales))
    with st.spinner("Sampling at each guidance scale..."):
        result = lab_call(lab.guidance_grid, theater.device, theater.name, Data(theater.dataset_name), names.index(label_name), scales,
                               n, seed, steps)
    tiles = result["x"].flatten(0, 1)
    picture = labelled_grid(tiles, [""] * len(tiles), n, tile_px=56, row_labels=[f"s = {s:g}" for s in scales])
    st.image(picture, output_format="PNG")
    sample_downloads(picture, result["x"], f"{theater.name}-guidance-{label_name}-seed{seed}", key="diff_guidance")
    if result["hits"] is not None:
        figure = make_subplots(rows=1, cols=2, subplot_titles=(f"recognised as {label_name} by an RBF SVC on real data",
                                                               "diversity: mean pixel distance between samples"))
        xs = [f"{s:g}" for s in scales]
        figure.add_trace(go.Bar(x=xs, y=result["hits"] * 100, name="recognised %"), row=1, col=1)
        figure.add_trace(go.Bar(x=xs, y=result["spread"], name="spread"), row=1, col=2)
        figure.update_xaxes(title_text="guidance scale s", type="category")
        figure.update_yaxes(title_text="recognised (%)", row=1, col=1)
        figure.update_yaxes(title_text="mean pixel distance", row=1, col=2)
        figure.update_layout(height=280, showlegend=False, margin=dict(l=10, r=10, t=40, b=10))
        st.plotly_chart(legible(figure), width="stretch", key="diff_guidance_chart")
