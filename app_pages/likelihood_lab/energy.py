"""Energy tab: short-run Langevin chains from noise, as an animation, and the energies of real, generated and
noise images."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.likelihood_lab import diagrams
from gen_core.labs import likelihood as lab
from gen_core.labs import uses
from gen_core import render
from ui.lab_cache import Data, lab_call
from ui.charts import histogram_picture
from ui.loaders import choose_checkpoint, core_on, get_core, get_dataset
from ui.player import player_html
from ui.settings import global_seed, label_px
from ui.widget_keys import LIKELIHOOD


@st.cache_data(show_spinner=False, max_entries=8)
def chains_player(name: str, device: str, seed: int, steps: int) -> str:
    frames = lab.langevin_frames(core_on(device), name, 16, steps, seed, record_every=2)
    pictures = [render.grid(f, nrow=8, scale=8) for f in frames]
    captions = [f"Langevin step {2 * k} of {steps}" for k in range(len(frames))]
    return player_html(pictures, captions, fps=10, label="Langevin chains")


@st.fragment
def show() -> None:
    st.markdown("An energy-based model learns one number per image, the energy E(x); it defines "
                "p(x) = exp(-E(x)) / Z, with a normaliser Z nobody can compute, so its likelihood is unknown even "
                "to itself. It samples by Langevin dynamics: start from noise, walk down the energy's gradient with "
                "a little noise. Training (contrastive divergence) lowers the energy of data and raises it on the "
                "model's own samples, kept in a replay buffer between steps.")
    name = choose_checkpoint("ebm", LIKELIHOOD.EBM_MODEL, "Model",
                             "python -m gen_core.train ebm --dataset digits --epochs 80 --set lr=0.0005",
                             accept=lambda card: card["dataset"].get("kind", "image") == "image")
    if name is None:
        return
    core = get_core()
    card = core.load(name).card
    c = st.columns(2)
    seed = c[0].number_input("Seed", 0, 2**31 - 1, global_seed(), key="ll_ebm_seed", bind="query-params")
    steps = c[1].select_slider("Langevin steps", [20, 60, 120, 200], int(card["config"]["sample_steps"]),
                               key="ll_ebm_steps", bind="query-params")
    with st.spinner("Running 16 chains..."):
        html = chains_player(name, str(core.device), int(seed), int(steps))
    st.iframe(html, height="content")
    st.caption(f"16 chains from uniform noise; the model was trained with {card['config']['langevin_steps']} steps "
               f"per chain, so chains run longer than that leave the region training shaped (short-run EBMs "
               f"can over-saturate).")
    with st.spinner("Scoring..."):
        groups = lab_call(lab.energies, core.device, name, Data(card["dataset"]["name"]), 360, int(seed))
    st.image(histogram_picture({"real test images": groups["real"], "generated": groups["generated"],
                                "uniform noise": groups["noise"]}, "energies E(x)", "energy", font_px=label_px() + 2,
                               size=(600, 360)), output_format="PNG")
    st.caption(f"Mean energy: real {groups['real'].mean():.3f}, generated {groups['generated'].mean():.3f}, noise "
               f"{groups['noise'].mean():.3f}. Low energy means likely; training keeps data and the model's own "
               f"samples close, and noise far above.")
    if card["dataset"]["name"] == "digits":
        judged_against_the_others(str(core.device), name)
    diagrams.energy(str(core.device), name, get_dataset(card["dataset"]["name"]))


def judged_against_the_others(device: str, name: str) -> None:
    """How sure two outside classifiers are that this model's samples are digits, beside the other families'."""
    others = ("vae-digits", "dcgan-digits", "gan-digits", "ldm-digits")
    found = lab_call(uses.figures, device, "classifier_confidence", name, *others)
    rows = [{"samples of": model, **{judge: values[model] for judge, values in found["rows"].items()}}
            for model in (name, *others, "real test digits")]
    st.subheader("Read by outside judges")
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        judge: st.column_config.NumberColumn(format="%.2f") for judge in found["rows"]})
    mine = {judge: values[name] for judge, values in found["rows"].items()}
    st.caption(f"Mean top-class probability of {found['samples']} samples under two classifiers fitted on the real "
               f"training digits. The energy model is read as digits ({', '.join(f'{v:.2f} by the {j}' for j, v in mine.items())}) "
               f"but less surely than the other families: its samples come from 60 steps of Langevin dynamics from "
               f"noise, the short chains it was trained with, which leave more pixels half-set than a generator "
               f"network's one pass. Longer chains drift out of the region training shaped (the player above).")
