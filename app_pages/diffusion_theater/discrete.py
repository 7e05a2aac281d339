"""Discrete diffusion tab: D3PM on binarised digits, the forward corruption (masking or coin flips) and the
reverse process step by step, and its bound in nats beside the Likelihood Lab's."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core.labs import diffusion as lab
from gen_core import render
from ui.images import labelled_grid
from ui.loaders import card_of, choose_checkpoint, core_on, get_dataset
from ui.player import player_html
from ui.settings import global_seed


@st.cache_data(show_spinner=False, max_entries=8)
def reverse_player(name: str, device: str, seed: int) -> str:
    run = lab.discrete_reverse(core_on(device), name, 16, seed)
    from gen_core.models.d3pm import from_states
    total = len(run["states"]) - 1
    frames, captions = [], []
    for k, states in enumerate(run["states"]):
        left = render.grid(from_states(states), nrow=8, scale=10)
        if k == 0:
            right = render.grid(torch.zeros(16, 1, *states.shape[1:]), nrow=8, scale=10)
        else:
            right = render.grid(run["guesses"][k - 1][:, None] * 2 - 1, nrow=8, scale=10)
        frames.append(render.side_by_side([left, right], gap=16))
        captions.append(f"t = {total - k} of {total}: x_t (grey: [MASK]) and the model's p(ink) for x_0")
    return player_html(frames, captions, fps=10, label="D3PM reverse process")


@st.fragment
def show(device: str) -> None:
    st.markdown("Pixels that are either ink or blank cannot get 'a little noisier'. Discrete diffusion (D3PM, "
                "Austin et al., 2021) corrupts categories with a transition matrix instead: *absorbing* replaces "
                "pixels by a [MASK] state, a share 1/T more each step; *uniform* replaces them by fair coins. The "
                "network reads the corrupted image and predicts each pixel's clean value; the reverse process "
                "samples from the posterior it implies, one step at a time. Absorbing diffusion with exactly one "
                "pixel unmasked per step, in a random order, is autoregressive diffusion: the Likelihood Lab's "
                "*Any order (ARDM)* tab.")
    name = choose_checkpoint("d3pm", "diff_d3pm_model", "Discrete diffusion model",
                             "python -m gen_core.train d3pm --dataset digits-binary --epochs 400")
    if name is None:
        return
    card = card_of(name)
    config = card["config"]
    core = core_on(device)
    dataset = get_dataset(card["dataset"]["name"])
    T = int(config["timesteps"])

    st.subheader(f"Forward: {config['transition']} corruption")
    c = st.columns(2)
    index = c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 3, key="diff_d3pm_index",
                              bind="query-params")
    seed = c[1].number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_d3pm_seed", bind="query-params")
    times = sorted({0, T // 8, T // 4, 3 * T // 8, T // 2, 5 * T // 8, 3 * T // 4, 7 * T // 8, T})
    forward = lab.discrete_forward(core, name, dataset.x_test[int(index)], times, int(seed))
    st.image(labelled_grid(forward["images"], [f"t = {t}" for t in times], len(times), tile_px=72, outline=True),
             output_format="PNG")
    st.caption("Under each t, q(x_t | x_0) keeps a pixel with probability "
               + ", ".join(f"{k:.2f}" for k in forward["expected_kept"])
               + (" ([MASK] is mid-grey)" if config["transition"] == "absorbing" else
                  " (including coins that land on the right value)")
               + ": the closed form Qbar_t = Q_1...Q_t, which tests/pages/test_discrete_and_variational_diffusion.py checks against the "
                 "product of the step matrices and against simulated chains.")

    st.subheader("Reverse: from all [MASK] to digits" if config["transition"] == "absorbing"
                 else "Reverse: from coin flips to digits")
    with st.spinner(f"Running {T} reverse steps for 16 images..."):
        html = reverse_player(name, device, int(seed))
    st.iframe(html, height="content")
    metrics = card.get("metrics", {})
    st.caption(f"Left: x_t; right: the model's probability of ink for every pixel of x_0 given x_t. Test bound: "
               f"{metrics.get('test_nll_nats', float('nan')):.2f} nats per binary digit, "
               f"{metrics.get('bits_per_dim', float('nan')):.3f} bits per pixel (a true bound on -log P(x): compare "
               f"the Likelihood Lab's table, where the same test digits are scored).")
