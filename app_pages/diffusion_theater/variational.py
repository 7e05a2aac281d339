"""Variational diffusion tab: the learned noise schedule against linear and cosine, its bound in bits per
dimension beside the fixed-schedule DDPM's on the same binary digits, and samples."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import torch

from gen_core.models import diffusion, vdm
from ui.charts import legible
from ui.images import labelled_grid
from ui.loaders import card_of, choose_checkpoint, core_on
from ui.settings import global_seed


@st.cache_data(show_spinner=False, max_entries=8)
def schedules(name: str, device: str) -> pd.DataFrame:
    t, learned = core_on(device).run(name, lambda loaded: vdm.log_snr_curve(loaded.model))
    rows = [{"t": float(a), "log SNR": float(b), "schedule": "learned (VDM)"} for a, b in zip(t, learned)]
    for kind in diffusion.SCHEDULES:
        snr = diffusion.make_schedule(kind, 1000)["snr"].numpy()
        steps = np.linspace(0, 999, 101).astype(int)
        rows += [{"t": (k + 1) / 1000, "log SNR": float(np.log(snr[k])), "schedule": f"{kind} (T = 1000)"}
                 for k in steps]
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=8)
def samples(name: str, device: str, seed: int) -> torch.Tensor:
    return core_on(device).sample(name, 16, seed=seed)


def fixed_schedule_bound() -> float | None:
    """ddpm-digits-binary's variational bound as the card of the likelihood table recorded it, if shipped."""
    from gen_core import likelihood
    import json
    for path in sorted(likelihood.SHIPPED_TABLES.glob("table-*.json")):
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for row in rows:
            if row.get("model") == "ddpm-digits-binary":
                return float(row["nats"])
    return None


@st.fragment
def show(device: str) -> None:
    st.markdown("DDPM fixes its noise schedule by hand (linear or cosine). Variational diffusion (Kingma et al., "
                "2021) learns it: log SNR(t) is a monotone network, trained with the denoiser on the bound itself. "
                "In continuous time the bound depends only on the schedule's end points; its shape in between "
                "changes only how noisy the training signal is, so the shape is trained to make that noise "
                "small.")
    name = choose_checkpoint("vdm", "diff_vdm_model", "Variational diffusion model",
                             "python -m gen_core.train vdm --dataset digits-binary --epochs 100 --set channels=16")
    if name is None:
        return
    card = card_of(name)
    frame = schedules(name, device)
    st.altair_chart(legible(alt.Chart(frame, title="log SNR(t): the learned schedule against the fixed ones", height=320)
                    .mark_line(strokeWidth=2.5).encode(
                        x=alt.X("t:Q", title="t (0: data, 1: noise)"), y="log SNR:Q",
                        color=alt.Color("schedule:N", legend=alt.Legend(orient="bottom"), scale=alt.Scale(
                            domain=["learned (VDM)", "linear (T = 1000)", "cosine (T = 1000)"],
                            range=["#d62728", "#7f7f7f", "#1f77b4"])))))
    metrics = card.get("metrics", {})
    m = st.columns(3)
    m[0].metric("Its bound", f"{metrics.get('test_nll_nats', float('nan')):.2f} nats",
                help="-log P(x) of each binary test digit is at most this, on average")
    m[1].metric("Bits per dimension", f"{metrics.get('bits_per_dim', float('nan')):.3f}")
    fixed = fixed_schedule_bound() if card["dataset"]["name"] == "digits-binary" else None
    if fixed is not None:
        m[2].metric("DDPM, fixed linear schedule, same digits", f"{fixed:.2f} nats",
                    delta=f"{metrics.get('test_nll_nats', float('nan')) - fixed:+.2f} nats", delta_color="inverse")
    st.caption(f"Learned end points: log SNR from {metrics.get('log_snr_0', float('nan')):.1f} at t = 0 to "
               f"{metrics.get('log_snr_1', float('nan')):.1f} at t = 1. The bound is measured on the 360 binarised "
               f"test digits with 32 stratified times each; the Likelihood Lab's table lists it beside the others.")
    seed = st.number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_vdm_seed", bind="query-params")
    with st.spinner("Sampling..."):
        grid = samples(name, device, int(seed))
    st.image(labelled_grid(grid, [], 8, tile_px=56, outline=True), output_format="PNG",
             caption=f"16 samples, {card['config']['sample_steps']} ancestral steps on the learned schedule")
