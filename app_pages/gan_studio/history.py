"""Training history tab: the losses and D's opinions along training, the snapshots decoded from the same noise (and
played in the browser), a progressive GAN's growth, and the value function V(D, G) with the numbers plugged in."""
import numpy as np
import streamlit as st

from app_pages.gan_studio.studio import Studio
from gen_core import render
from gen_core.checkpoints import load_snapshots
from gen_core.models import gan
from ui.charts import legible
from ui.images import show_grid
from ui.player import player_html
from ui.settings import projector


@st.cache_data(show_spinner=False, max_entries=8)
def snapshot_player(path, weights_sha256: str) -> str:
    """All of a checkpoint's training snapshots as one in-browser player (ui/player.py): the frames go to the
    browser once, so playing, stepping and scrubbing need no server round trip."""
    snapshots = load_snapshots(path)
    frames = [render.grid(x, nrow=16, scale=3) for x in snapshots.values()]
    return player_html(frames, [f"the same 16 noise vectors decoded at step {step}" for step in snapshots], start=0,
                       label="Training, snapshot by snapshot")


@st.cache_resource(show_spinner=False, max_entries=8)
def snapshots_of(path, weights_sha256: str) -> dict:
    """A checkpoint's training snapshots, read from disk once per process (not on every rerun of every visitor)."""
    return load_snapshots(path)


@st.cache_resource(show_spinner=False, max_entries=16)
def history_figures(path, weights_sha256: str, projector_on: bool, _history: dict, _snapshot_steps: tuple) -> tuple:
    """The two training charts, built once per process (Plotly's figure objects cost ~35 ms a pair: a class arriving
    at this tab shares one build). They do not change with the Training step slider: every snapshot's step is a
    faint line, and the step shown is said in numbers beside its grid, because a chart whose figure changes is
    drawn again in every browser (~0.4 s for the two). `projector_on` is what `legible` reads in the session.
    Shared, so never changed after: st.plotly_chart only serialises them."""
    steps = _history["step"]
    return (legible(render.line_figure(steps, {"D loss": _history["loss_d"], "G loss": _history["loss_g"]},
                                       "Losses", "loss", faint_steps=_snapshot_steps)),
            legible(render.line_figure(steps, {"D(x)": _history["d_real"], "D(G(z))": _history["d_fake"]},
                                       "What D says", "mean probability of 'real'", faint_steps=_snapshot_steps,
                                       reference=(0.5, "equilibrium: D = 1/2"))))


def at_step(history: dict, at: int) -> str:
    """The four curves' values around step `at` (smoothed as the charts draw them), in words."""
    steps = np.asarray(history["step"])
    k = int(np.clip(np.searchsorted(steps, at), 0, len(steps) - 1))
    window = max(1, len(steps) // 100)
    value = {name: float(render.smooth(history[name], window)[k]) for name in ("loss_d", "loss_g", "d_real", "d_fake")}
    return (f"At step {int(steps[k])} (the dotted lines on the charts mark every snapshot's step): "
            f"D loss {value['loss_d']:.2f}, G loss {value['loss_g']:.2f}; D(x) {value['d_real']:.2f}, "
            f"D(G(z)) {value['d_fake']:.2f}.")


@st.fragment
def show(studio: Studio) -> None:
    card, config, loaded, dataset = studio.card, studio.config, studio.loaded, studio.dataset
    history = card.get("history", {})
    if not history.get("step"):
        st.info("This checkpoint has no training history.")
        return
    steps = history["step"]
    snapshots = snapshots_of(loaded.path, card.get("weights_sha256", ""))
    at = st.select_slider("Training step", list(snapshots), value=list(snapshots)[-1], key="gan_snapshot", bind="query-params") \
        if snapshots else steps[-1]
    if snapshots:  # right under the slider that picks it
        show_grid(snapshots[at], nrow=16, caption=f"the same 16 noise vectors decoded at step {at}")
    st.caption(at_step(history, at))
    left, right = st.columns(2)
    losses, opinions = history_figures(loaded.path, card.get("weights_sha256", ""), projector(), _history=history,
                                       _snapshot_steps=tuple(snapshots))
    left.plotly_chart(losses, key="gan_losses")
    right.plotly_chart(opinions, key="gan_probs")
    if snapshots:
        with st.expander("Play the training: every snapshot in the browser, at the speed you choose",
                         icon=":material/play_circle:"):
            st.iframe(snapshot_player(loaded.path, card["weights_sha256"]), height="content")
    if config["arch"] == "progressive":
        top, grow = loaded.model.generator.top, config["grow_steps"]
        sizes = [f"{side}x{side}" for side in (dataset.shape[-1] // 2 ** (top - k) for k in range(top + 1))]
        now, alpha = gan.split_level(gan.level_at(at, grow, top))
        fades = ", ".join(f"{(2 * k + 1) * grow}-{(2 * k + 2) * grow}" for k in range(top))
        state = f"working at {sizes[now]}" + (f", fading it in with alpha = {alpha:.2f} over the {sizes[now - 1]} "
                                              f"output" if alpha > 0 else "")
        st.markdown(f"**Progressive growing** (Karras et al., 2018): G and D started at {sizes[0]} and each finer "
                    f"resolution was faded in over {grow} iterations after {grow} at "
                    f"the one before (fade-ins: steps {fades}). At step {at} the networks were {state}. Move the "
                    f"slider: the digits' rough shapes come first, their strokes later; the losses jump while a "
                    f"resolution fades in.")
    if "log_d_real" in history:
        k = int(np.clip(np.searchsorted(steps, max(at, 1)), 0, len(steps) - 1))
        window = slice(max(0, k - 20), k + 1)  # average the steps just before, to read through batch noise
        real_term = float(np.mean(history["log_d_real"][window]))
        fake_term = float(np.mean(history["log_1m_d_fake"][window]))
        st.markdown(f"The value function at step {steps[k]} (training batches, averaged over the last "
                    f"{window.stop - window.start} steps):")
        st.latex(r"V(D,G) = \mathbb{E}_{x\sim p_{data}}[\log D(x)] + \mathbb{E}_{z\sim p_z}[\log(1-D(G(z)))]"
                 rf" = {real_term:.3f} + ({fake_term:.3f}) = {real_term + fake_term:.3f}")
        st.caption(r"At the game's equilibrium D(x) = 1/2 everywhere and V = 2 log(1/2) = -log 4 ≈ -1.386. "
                   r"V near 0 means D wins; much below -1.386 means D is being fooled.")
