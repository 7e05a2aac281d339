"""Samplers tab: DDPM's T steps (the reverse SDE) against DDIM's few and the probability-flow ODE solved by Heun's
method, from the same x_T, each timed and set beside its network calls x one forward; and one image's path under
the SDE and the ODE."""
from __future__ import annotations

import time
from datetime import datetime

import streamlit as st

from gen_core import kept
from gen_core.labs import diffusion as lab
from app_pages.diffusion_theater.context import Theater
from ui.lab_cache import lab_call
from ui.images import labelled_grid, show_grid
from ui.settings import global_seed, seed_input
from ui.widget_keys import DIFFUSION


def timed_when(run: dict) -> str:
    """When a run kept on disk (gen_core.kept) was timed, if not just now: its time is from that run."""
    at = run.get(kept.KEPT_AT)
    if at is None or time.time() - at < 60:
        return ""
    return f", timed on this machine {datetime.fromtimestamp(at):%d %b %H:%M} (kept since)"


ON_REQUEST_PIXELS = 256  # on a CPU, a model of larger images (28x28: ~50 s for 16) runs DDPM's T steps when asked


@st.fragment
def show(theater: Theater) -> None:
    st.markdown(r"DDPM takes every one of the $T$ steps, adding fresh noise at each: it simulates the **reverse SDE**. "
                r"The same marginals are reached by a deterministic **probability-flow ODE** (Song et al., 2021): "
                r"DDIM with $\eta=0$ is Euler's method on it, and Heun's method corrects each Euler step by the slope "
                r"at its end (two network calls a step, second order: far fewer steps for the same picture). "
                r"Time is network calls × one forward.")
    T = theater.T
    c = st.columns(4)
    steps = c[0].select_slider("DDIM / ODE steps", [5, 10, 20, 50, 100, 250, 500], 50, key=DIFFUSION.CMP_STEPS,
                               bind="query-params")
    eta = c[1].slider("DDIM η", 0.0, 1.0, 0.0, 0.1, key=DIFFUSION.CMP_ETA, bind="query-params",
                      help="0: deterministic; 1 over all steps: the DDPM sampler again")
    n = c[2].select_slider("Samples", [4, 8, 16], 16, key="diff_cmp_n", bind="query-params")
    seed = seed_input("Seed", "diff_cmp_seed", global_seed(), where=c[3])
    runs = {"ddpm": (f"DDPM (reverse SDE), {T} steps", T, 0.0, T),
            "ddim": (f"DDIM (Euler on the ODE), {steps} steps", steps, eta, steps),
            "heun": (f"Heun on the ODE, {steps} steps", steps, 0.0, 2 * steps - 1)}
    result = {}
    # DDIM and Heun first, so a new step count shows DDIM's answer while Heun (twice the calls) still solves; DDPM's
    # T steps last. Where they would take long (a 28x28 model on a CPU: ~50 s for 16 images), on request only:
    # the tab opens on the two fast samplers, and Run DDPM says what it will cost.
    columns = dict(zip(runs, st.columns(3)))
    side = theater.config["image_shape"][-1]  # decided by size, not by this moment's measured speed
    on_request = theater.device == "cpu" and side * side > ON_REQUEST_PIXELS
    wanted = (theater.name, n, seed)
    for key in ("ddim", "heun", "ddpm"):
        title, k_steps, k_eta, calls = runs[key]
        with columns[key]:
            if key == "ddpm" and on_request and st.session_state.get("diff_cmp_ddpm") != wanted:
                forward = lab_call(lab.forward_seconds, theater.device, theater.name, n)  # what it would cost now
                ddpm_seconds = T * forward
                st.markdown(f"**{title}**")
                st.button(f"Run DDPM's {T} steps (about {ddpm_seconds:.0f} s here)", key="diff_cmp_run_ddpm",
                          icon=":material/play_arrow:", on_click=st.session_state.update,
                          kwargs={"diff_cmp_ddpm": wanted})
                st.caption(f"{calls} calls × {forward * 1000:.2f} ms per forward = {calls * forward:.1f} s predicted: "
                           "the price of simulating the reverse SDE step by step.")
                continue
            with st.spinner(f"{title}..."):
                r = result[key] = lab_call(lab.sampler_run, theater.device, theater.name, n, seed, key, k_steps, k_eta)
            st.markdown(f"**{title}: {r['seconds']:.2f} s**")
            show_grid(r["x"], nrow=4, download_as=f"{theater.name}-{key}-seed{seed}")
            one = r["forward_seconds"]  # timed with the run, so a run kept from earlier compares with its own forward
            st.caption(f"{calls} calls × {one * 1000:.2f} ms per forward = {calls * one:.2f} s predicted; "
                       f"measured {r['seconds']:.2f} s ({r['seconds'] / (calls * one) * 100:.0f}%){timed_when(r)}")
    ode_gap = float((result["ddim"]["x"] - result["heun"]["x"]).abs().mean())
    if "ddpm" in result:
        gap = float((result["ddpm"]["x"] - result["ddim"]["x"]).abs().mean())
        st.caption(f"DDIM is {result['ddpm']['seconds'] / max(result['ddim']['seconds'], 1e-9):.0f}× faster here. "
                   f"Mean absolute pixel difference from the same noise: DDPM vs DDIM {gap:.3f}, DDIM vs Heun "
                   f"{ode_gap:.3f} (on [-1, 1]). DDPM adds fresh noise at every step, so the same x_T can end as a "
                   "different digit; the two ODE solvers follow the same deterministic path from x_T and end near "
                   "each other, closer as the steps grow.")
    else:
        st.caption(f"Mean absolute pixel difference from the same noise, DDIM vs Heun: {ode_gap:.3f} (on [-1, 1]): "
                   "the two ODE solvers follow the same deterministic path from x_T.")
    st.markdown("**One image's path from the same $x_T$**: the SDE wanders (fresh noise each step), the ODE "
                "glides.")
    paths = ((("reverse SDE (DDPM)", "ddpm", None),) if "ddpm" in result else ()) + \
        ((f"probability-flow ODE (Heun, {steps} steps)", "heun", steps),)
    for label, sampler, k in paths:
        run = lab_call(lab.path, theater.device, theater.name, seed, sampler, k)
        st.image(labelled_grid(run["x"], [f"t={t}" if t >= 0 else "done" for t in run["t"]], len(run["x"]),
                               tile_px=56), caption=label, output_format="PNG")
