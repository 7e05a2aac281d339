"""Reverse tab: one run from pure noise, drawn live as it samples, then played back in the browser at a chosen
speed (ui/player.py) with GIF and PNG downloads."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st
import torch

from gen_core.labs import diffusion as lab
from gen_core import render
from gen_core.models import diffusion as D
from app_pages.diffusion_theater.context import UNCONDITIONAL, Theater
from ui import links
from ui.player import player_html
from ui.settings import global_seed, next_seed, seed_input
from ui.widget_keys import DIFFUSION

PLAYBACK_FRAMES = 120  # a DDPM run keeps about this many of its 1000 steps for playback


def frame_image(run: dict, k: int):
    nrow = min(4, run["n"])
    scale = max(2, 112 // run["x"].shape[-1] // max(1, nrow // 2))
    return render.side_by_side([render.grid(run["x"][k].clamp(-1, 1), nrow=nrow, scale=scale),
                                render.grid(run["x0"][k].clamp(-1, 1), nrow=nrow, scale=scale)], gap=16)


def frame_caption(run: dict, k: int) -> str:
    t = run["t"][k]
    if t < 0:
        return "the final samples"
    return f"left: x_{t} (the sampler's input at step {k * run['every'] + 1} of {run['steps']}) · right: the " \
           "model's prediction of x_0 from it"


RUN_KEY, FRAME_KEY = "diff_reverse", "diff_frame"  # URL parameters: a run was made; the frame the player stopped on


def show(theater: Theater) -> None:
    st.markdown(r"Start from pure noise $x_T \sim \mathcal N(0, I)$ and apply the learned reverse step again and "
                r"again. Left: the noisy $x_t$; right: the model's guess $\hat x_0$ at that step. Coarse shapes settle "
                r"first, details last.")
    T = theater.T
    c = st.columns([1, 1, 1, 1, 1])
    n = c[0].select_slider("Samples", [1, 4, 8, 16], 8, key="diff_n", bind="query-params")
    seed_input("Seed", "diff_seed", global_seed(), where=c[1])
    c[1].button("New noise", icon=":material/casino:", on_click=next_seed, args=("diff_seed",))
    sampler = c[2].radio("Sampler", ["ddpm", "ddim"], key=DIFFUSION.SAMPLER, bind="query-params", horizontal=True,
                         format_func=lambda s: f"DDPM ({T} steps)" if s == "ddpm" else "DDIM (fewer steps)")
    steps = c[3].select_slider("DDIM steps", [10, 20, 50, 100, 200], 50, key=DIFFUSION.STEPS, bind="query-params",
                               disabled=sampler == "ddpm")
    label_choice, guidance = UNCONDITIONAL, 1.0
    if theater.conditional:
        names = theater.class_names
        label_choice = c[4].selectbox("Class", [UNCONDITIONAL, *names], index=1 + 3 % len(names), key="diff_label", bind="query-params")
        guidance = c[4].slider("Guidance scale", 0.0, 6.0, 3.0, 0.5, key="diff_guidance", bind="query-params",
                               disabled=label_choice == UNCONDITIONAL)
    # a link to a run (?diff_reverse=1, with its controls) runs it once when the session opens, so the receiver sees the
    # sender's run and, with ?diff_frame=K, its frame
    from_link = links.read(RUN_KEY) == "1" and not st.session_state.get("diff_run_linked")
    st.session_state["diff_run_linked"] = True
    if st.button("Run the reverse process", type="primary", icon=":material/play_arrow:") or (
            from_link and st.session_state.get("diff_run") is None):
        st.session_state.diff_run = run_live(theater, n, st.session_state.diff_seed, sampler, steps, label_choice,
                                             guidance)
        links.write(RUN_KEY, "1")
    run = st.session_state.get("diff_run")
    if run is None:
        st.info("Press **Run the reverse process** to watch noise turn into samples.")
        return
    settings = (n, st.session_state.diff_seed, sampler, T if sampler == "ddpm" else steps, label_choice, guidance)
    if settings != (run["n"], run["seed"], run["sampler"], run["steps"], run["label"], run["guidance"]):
        st.info("The run below was made with other settings: press **Run the reverse process** to run these.")
    st.caption(f"{run['n']} samples with {run['sampler'].upper()} over {run['steps']} steps in {run['seconds']:.2f} s "
               f"({run['seconds'] / run['steps'] * 1000:.1f} ms per step) · seed {run['seed']}"
               + (f" · class {run['label']}, guidance {run['guidance']:g}" if run["label"] != UNCONDITIONAL else ""))
    player(run)


def run_live(theater: Theater, n: int, seed: int, sampler: str, steps: int, label_choice: str, guidance: float) -> dict:
    """One reverse run, its progress and a preview redrawn as it samples."""
    live = st.empty()
    progress = st.progress(0.0)
    total = theater.T if sampler == "ddpm" else steps
    last_draw = [0.0]

    def draw(step: D.Step):
        # redraw at most ~6 times a second: drawing every step would cost more than the sampling itself
        if time.perf_counter() - last_draw[0] > 0.15 or step.t_next < 0:
            last_draw[0] = time.perf_counter()
            progress.progress((step.index + 1) / total, text=f"step {step.index + 1} / {total} (t = {step.t})")
            preview = {"x": step.x_t[None].float().cpu(), "x0": step.x0[None].float().cpu(), "n": n}
            live.image(frame_image(preview, 0), caption=f"x_{step.t} and the predicted x_0", output_format="PNG")

    run = lab.reverse_run(theater.core, theater.name, n, seed, sampler, steps, theater.labels_for(label_choice, n),
                          guidance, PLAYBACK_FRAMES, callback=draw)
    live.empty()
    progress.empty()
    run["label"] = label_choice
    return run


def player(run: dict) -> None:
    """Playback of a recorded run in the browser (ui/player.py): every frame is sent once, then play, pause, step
    and scrub need no server round trip. The player's page and the downloads are built once per run."""
    if "player_html" not in run:
        frames = [frame_image(run, k) for k in range(len(run["t"]))]
        try:
            start = int(links.read(FRAME_KEY) or 0) - 1  # 1-based in the URL, as the player counts
        except ValueError:
            start = -1
        run["player_html"] = player_html(frames, [frame_caption(run, k) for k in range(len(frames))],
                                         label="Reverse diffusion, step by step", url_key=FRAME_KEY,
                                         start=start if 0 <= start < len(frames) else None)
        run["gif"] = render.gif_bytes(frames + [frames[-1]] * 10, duration_ms=60)
        strip_at = sorted(set(np.linspace(0, len(run["t"]) - 1, 10).round().astype(int).tolist()))
        strip = torch.cat([run["x"][k] for k in strip_at])  # (steps x samples): one column per kept step
        strip = strip.reshape(len(strip_at), run["n"], *strip.shape[1:]).transpose(0, 1).reshape(-1, *strip.shape[1:])
        run["strip_png"] = render.png_bytes(render.grid(strip.clamp(-1, 1), nrow=len(strip_at)))
        # the frames live on in the player's page and the GIF: of the tensors (up to 12 MB) the session keeps only
        # the final samples (per-session state stays small)
        run["samples"] = run["x"][-1]
        del run["x"], run["x0"]
    st.iframe(run["player_html"], height="content")
    c = st.columns(2)
    c[0].download_button("Download the run as a GIF", run["gif"], file_name="reverse_diffusion.gif",
                         mime="image/gif", icon=":material/download:")
    c[1].download_button("Download a PNG strip (one row per sample)", run["strip_png"],
                         file_name="reverse_diffusion.png", mime="image/png", icon=":material/download:")
