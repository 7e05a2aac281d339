"""Samplers tab: DDPM's T steps against DDIM's few, from the same x_T, each timed and set beside
steps x one network forward."""
from __future__ import annotations

import streamlit as st

from gen_core import diffusion_lab as lab
from ui.diffusion_tabs.context import Theater
from ui.images import show_grid
from ui.loaders import core_on
from ui.settings import global_seed, seed_input


@st.cache_data(show_spinner=False, max_entries=32)
def sampler_run(name: str, device: str, n: int, seed: int, sampler: str, steps: int, eta: float) -> dict:
    """Cached per sampler: changing the DDIM steps never runs the 1000-step DDPM again."""
    return lab.sampler_run(core_on(device), name, n, seed, sampler, steps, eta)


@st.cache_data(show_spinner=False, max_entries=8)
def forward_seconds(name: str, device: str, n: int) -> float:
    return lab.forward_seconds(core_on(device), name, n)


@st.fragment
def show(theater: Theater) -> None:
    st.markdown(r"DDPM takes every one of the $T$ steps; DDIM (Song et al., 2021) takes a subsequence of them. With "
                r"$\eta=0$ DDIM is deterministic, so the same $x_T$ always gives the same image, and far fewer "
                r"steps give nearly the same picture. Time is steps × one network forward.")
    T = theater.T
    c = st.columns(4)
    steps = c[0].select_slider("DDIM steps", [5, 10, 20, 50, 100, 250, 500], 50, key="diff_cmp_steps", bind="query-params")
    eta = c[1].slider("DDIM η", 0.0, 1.0, 0.0, 0.1, key="diff_cmp_eta", bind="query-params",
                      help="0: deterministic; 1 over all steps: the DDPM sampler again")
    n = c[2].select_slider("Samples", [4, 8, 16], 16, key="diff_cmp_n", bind="query-params")
    seed = seed_input("Seed", "diff_cmp_seed", global_seed(), where=c[3])
    with st.spinner(f"Sampling with DDPM ({T} steps)..."):
        result = {"ddpm": sampler_run(theater.name, theater.device, n, seed, "ddpm", T, 0.0)}
    with st.spinner(f"Sampling with DDIM ({steps} steps)..."):
        result["ddim"] = sampler_run(theater.name, theater.device, n, seed, "ddim", steps, eta)
    forward = forward_seconds(theater.name, theater.device, n)
    for column, key, k in zip(st.columns(2), ("ddpm", "ddim"), (T, steps)):
        with column:
            r = result[key]
            st.markdown(f"**{key.upper()}, {k} steps: {r['seconds']:.2f} s**")
            show_grid(r["x"], nrow=4)
            st.caption(f"{k} steps × {forward * 1000:.2f} ms per forward = {k * forward:.2f} s predicted; "
                       f"measured {r['seconds']:.2f} s ({r['seconds'] / (k * forward) * 100:.0f}%)")
    gap = float((result["ddpm"]["x"] - result["ddim"]["x"]).abs().mean())
    st.caption(f"DDIM is {result['ddpm']['seconds'] / max(result['ddim']['seconds'], 1e-9):.0f}× faster here. Mean "
               f"absolute pixel difference between the two sets from the same noise: {gap:.3f} (on [-1, 1]). DDPM adds "
               "fresh noise at every step, so the same x_T can end as a different digit; DDIM with η = 0 maps each "
               "x_T to one image, whatever the number of steps.")
