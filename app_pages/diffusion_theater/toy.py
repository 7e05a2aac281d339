"""2-D tab: a small MLP's diffusion on a toy set: forward chains, the denoising field at t, and reverse paths of
DDPM and DDIM from the same noise."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gen_core.labs import diffusion as lab
from ui.charts import legible
from ui.lab_cache import Data, lab_call
from ui.loaders import card_of, choose_checkpoint
from ui.point_figures import arrows
from ui.point_frames import DATA_GREY, Panel, side_by_side
from ui.settings import global_seed
from ui.widget_keys import DIFFUSION


def show(device: str) -> None:
    toy = choose_checkpoint("ddpm", "diff_toy_model", "2-D model", "python -m gen_core.train ddpm --dataset moons",
                            accept=lambda card: card["dataset"].get("kind") == "points", default="ddpm-moons")
    if toy is None:
        return
    card = card_of(toy)
    st.markdown(r"A small MLP learned to denoise points of a 2-D toy set. Forward: data dissolves into a Gaussian. "
                r"Field: at time $t$, each arrow points from a noisy point $x_t$ to the model's guess $\hat x_0$ of the "
                r"clean point (the score $\nabla \log p_t(x_t)$ points along $\sqrt{\bar\alpha_t}\,\hat x_0 - x_t$, "
                r"close to this arrow while $t$ is small). Reverse: the same starting noise, walked back by the "
                r"stochastic DDPM sampler and the deterministic DDIM sampler.")
    with st.spinner("Running the forward and both reverse processes..."):
        runs = lab_call(lab.toy_runs, device, toy, Data(card["dataset"]["name"]), global_seed())
    extent = float(np.abs(runs["data"]).max() * 1.3)
    left, right = st.columns([2, 1])
    with left:
        timestep_view(toy, device, runs, card["config"]["timesteps"], extent)
    with right:
        st.plotly_chart(legible(paths_figure(runs, extent)), width="stretch", key="diff_toy_paths")


@st.fragment
def timestep_view(toy: str, device: str, runs: dict, steps_total: int, extent: float) -> None:
    """The two panels that follow t, in a fragment and as a picture: moving t redraws only them, in about a tenth
    of a second (as two Plotly panels with 2,000 points each it took the browser over a second). The reverse
    paths beside them do not depend on t."""
    data, chain = runs["data"], runs["chain"]
    t = st.slider("Timestep t", 0, steps_total - 1, steps_total // 10, key=DIFFUSION.TOY_T, bind="query-params")
    k = min(len(chain) - 1, round(t / runs["chain_every"]))
    box = (-extent, extent, -extent, extent)
    forward = Panel(box, 330, f"forward: points at t = {t}")
    forward.dots(data, DATA_GREY)
    for p in range(12):
        forward.lines(chain[:k + 1, p, 0], chain[:k + 1, p, 1], (120, 160, 210))
    forward.dots(chain[k], (31, 119, 180), radius=2)
    field = lab_call(lab.toy_field, device, toy, t, extent)
    grid, pull = field["grid"], field["x0"] - field["grid"]
    longest = max(1e-9, float(np.linalg.norm(pull, axis=1).max()))
    denoise = Panel(box, 330, f"denoising field at t = {t}: x_t to the guess of x_0")
    denoise.dots(data, DATA_GREY)
    denoise.lines(*arrows(grid, pull / longest, 0.9 * 2 * extent / 20), (214, 39, 40))
    denoise.dots(grid, (214, 39, 40), radius=1)
    st.image(side_by_side([forward, denoise], gap=12), output_format="PNG",
             caption=f"left: data (grey) and 400 points noised to t = {t}, 12 of them traced; right: at each grid "
                     f"point x_t, an arrow towards the model's guess of the clean point (lengths scaled to fit)")


def paths_figure(runs: dict, extent: float) -> go.Figure:
    """Reverse paths from the same noise: DDPM's jitter (fresh noise every step) against DDIM's smooth
    deterministic curves."""
    data = runs["data"]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=data[:, 0], y=data[:, 1], mode="markers", marker=dict(size=2, color="#eeeeee"),
                                showlegend=False))
    for sampler, colour, count in (("ddpm", "rgba(120,120,120,0.45)", 4), ("ddim", None, 10)):
        path = runs["paths"][sampler]
        for p in range(count):
            figure.add_trace(go.Scatter(x=path[:, p, 0], y=path[:, p, 1], mode="lines", showlegend=False,
                                        line=dict(width=1, color=colour) if colour else dict(width=2)))
        figure.add_trace(go.Scatter(x=path[-1, :, 0], y=path[-1, :, 1], mode="markers", name=f"{sampler} samples",
                                    marker=dict(size=4, color="#555555" if sampler == "ddpm" else "#2ca02c")))
    figure.update_xaxes(range=[-extent, extent], title="x₁")
    figure.update_yaxes(range=[-extent, extent], scaleanchor="x", title="x₂")
    return figure.update_layout(title=dict(text="reverse paths from the same noise<br>DDPM grey, DDIM colour",
                                           font=dict(size=14)),
                                height=450, margin=dict(l=10, r=10, t=60, b=10), legend=dict(orientation="h", y=-0.1))
