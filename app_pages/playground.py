"""2-D Playground: every family trained live on the same points, with play / pause / step / speed, the mode
metrics as they change, and a look inside each model (D's heat map, a flow's layers, an energy landscape...)."""
import hashlib
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from gen_core import playground as P
from gen_core.data.toys import TOYS
from gen_core.errors import GenLabError
from ui.loaders import get_dataset
from ui.settings import global_seed

DRAW = "draw your own"
FAMILIES = list(P.FAMILY_LABELS)
COLORS = {"gan": "#d62728", "vae": "#1f77b4", "ddpm": "#2ca02c", "flow": "#9467bd", "ebm": "#ff7f0e"}
SPEEDS = (1, 2, 5, 10, 20, 50)
FRAME_SECONDS = 0.2  # at most 5 redraws a second while playing (fewer when a frame takes longer)
MAX_PLAY_STEPS = 50_000
GAN_PRESETS = [name for name, p in P.PRESETS.items() if p.family == "gan"]
# GAN widgets and the config field each sets; a preset writes them all.
GAN_FIELDS = {"pg_loss": "loss", "pg_d_steps": "d_steps", "pg_g_steps": "g_steps", "pg_lr_g": "lr_g",
              "pg_lr_d": "lr_d", "pg_width": "width", "pg_depth": "depth", "pg_pack": "pack",
              "pg_anneal": "anneal_steps", "pg_z_dim": "z_dim"}

st.title("2-D Playground")
st.markdown("Five families learn the same 2-D points side by side. Press **Play** and watch them: the GAN's samples "
            "chase the modes (and may drop some), the VAE blurs across the gaps, diffusion and the flow spread "
            "smoothly, the energy model's Langevin chains settle into its valleys. The metrics below are the ones "
            "the mode-collapse papers (VEEGAN, PacGAN) report.")


def apply_gan_preset():
    """Callback: write the chosen preset's settings into the GAN widgets."""
    preset = P.PRESETS[st.session_state["pg_gan_preset"]]
    defaults = P.preset_config(st.session_state["pg_gan_preset"], get_dataset("ring8"))
    for key, name in GAN_FIELDS.items():
        st.session_state[key] = preset.overrides.get(name, getattr(defaults, name))


if "pg_loss" not in st.session_state:
    st.session_state["pg_gan_preset"] = st.session_state.get("pg_gan_preset", GAN_PRESETS[0])
    apply_gan_preset()

# --- data -------------------------------------------------------------------------------------------------------

top = st.columns([1, 2])
data_choice = top[0].selectbox("Data", list(TOYS) + [DRAW], key="pg_data",
                               format_func=lambda n: n if n == DRAW else f"{n}: {TOYS[n][1].split(':')[0]}")
chosen = top[1].multiselect("Models", FAMILIES, default=FAMILIES, key="pg_families",
                            format_func=P.FAMILY_LABELS.get)


def drawing_canvas():
    """Click to drop a blob of points, or lasso / box-select a region to fill it. Returns the points (N, 2)."""
    drawn = st.session_state.setdefault("pg_drawn", np.zeros((0, 2)))
    cols = st.columns([3, 1])
    with cols[1]:
        spread = st.slider("Blob spread", 0.02, 0.3, 0.08, 0.01, key="pg_spread", help="std of a click's blob")
        per_click = st.slider("Points per click", 5, 100, 30, 5, key="pg_per_click")
        density = st.slider("Fill density (points per unit area)", 20, 500, 150, 10, key="pg_density")
        if st.button("Clear the canvas", key="pg_clear"):
            st.session_state["pg_drawn"] = drawn = np.zeros((0, 2))
        if st.button("Start from moons", key="pg_seed_moons", help="put the two moons on the canvas to edit"):
            st.session_state["pg_drawn"] = drawn = get_dataset("moons").x_train[:400].numpy().astype(float)
    lin = np.linspace(P.CANVAS[0], P.CANVAS[1], 41)
    gx, gy = np.meshgrid(lin, lin)
    figure = go.Figure([
        go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", marker=dict(size=9, color="rgba(0,0,0,0.04)"),
                   hoverinfo="none", name="canvas", showlegend=False),
        go.Scatter(x=drawn[:, 0], y=drawn[:, 1], mode="markers", marker=dict(size=4, color="#444"),
                   hoverinfo="skip", name="your points", showlegend=False)])
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), dragmode="lasso",
                         title=f"{len(drawn)} points: click to add a blob, lasso or box to fill a region")
    figure.update_xaxes(range=P.CANVAS[:2], showgrid=False)
    figure.update_yaxes(range=P.CANVAS[2:], scaleanchor="x", showgrid=False)
    with cols[0]:
        event = st.plotly_chart(figure, on_select="rerun", selection_mode=("points", "box", "lasso"),
                                key="pg_canvas", config={"displaylogo": False})
    selection = event.selection if event else None
    if selection:
        signature = repr((selection.get("points"), selection.get("box"), selection.get("lasso")))
        if signature != st.session_state.get("pg_selection_seen"):
            st.session_state["pg_selection_seen"] = signature
            rng = np.random.default_rng(len(drawn))
            added = [np.zeros((0, 2))]
            for region in selection.get("lasso") or []:
                added.append(P.fill_region(region["x"], region["y"], density, rng))
            for region in selection.get("box") or []:
                (x0, x1), (y0, y1) = region["x"], region["y"]
                added.append(P.fill_region([x0, x1, x1, x0], [y0, y0, y1, y1], density, rng))
            if not (selection.get("lasso") or selection.get("box")):
                for point in selection.get("points") or []:
                    added.append(P.blob((point["x"], point["y"]), per_click, spread, rng))
            new = np.concatenate(added)
            if len(new):
                st.session_state["pg_drawn"] = np.concatenate([drawn, new])
                st.rerun()
    return st.session_state["pg_drawn"]


if data_choice == DRAW:
    points = drawing_canvas()
    try:
        dataset = P.points_dataset(points)
    except GenLabError as error:
        st.info(f"{error}. Click on the canvas, or drag a lasso around a region, to add points.")
        st.stop()
    data_key = hashlib.sha1(np.ascontiguousarray(points).tobytes()).hexdigest()[:12]
else:
    dataset, data_key = get_dataset(data_choice), data_choice

if not chosen:
    st.info("Pick at least one model above.")
    st.stop()

# --- the GAN's settings -----------------------------------------------------------------------------------------

with st.expander("GAN settings: objective, steps per iteration, learning rates, widths, packing", expanded=True):
    row = st.columns([2, 3])
    row[0].selectbox("Preset", GAN_PRESETS, key="pg_gan_preset", on_change=apply_gan_preset)
    row[1].caption(P.PRESETS[st.session_state["pg_gan_preset"]].description)
    a, b, c, d, e = st.columns(5)
    a.selectbox("Objective", ("nonsaturating", "minimax", "hinge", "wgan-gp"), key="pg_loss")
    a.number_input("z size", 1, 16, key="pg_z_dim")
    b.number_input("D steps per iteration", 1, 10, key="pg_d_steps")
    b.number_input("G steps per iteration", 1, 10, key="pg_g_steps")
    c.select_slider("G learning rate", (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2), key="pg_lr_g",
                    format_func=lambda v: f"{v:g}")
    c.select_slider("D learning rate", (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2), key="pg_lr_d",
                    format_func=lambda v: f"{v:g}")
    d.select_slider("Width (hidden units / 4)", (4, 8, 16, 32, 64), key="pg_width")
    d.number_input("Hidden layers", 1, 5, key="pg_depth")
    e.select_slider("Pack (PacGAN)", (1, 2, 4, 8), key="pg_pack")
    e.number_input("Anneal LR to 0 by step (0 = never)", 0, 100_000, step=1000, key="pg_anneal")
gan_overrides = {name: st.session_state[key] for key, name in GAN_FIELDS.items()}

# --- the models: built when the data or their settings change ---------------------------------------------------


def wanted_models() -> dict[str, tuple]:
    """family -> (preset, overrides, signature) for the models the controls ask for."""
    seed = global_seed()
    out = {}
    for family in chosen:
        preset = st.session_state["pg_gan_preset"] if family == "gan" else P.DEFAULT_PRESET[family]
        overrides = gan_overrides if family == "gan" else {}
        out[family] = (preset, overrides, (data_key, seed, preset, tuple(sorted(overrides.items()))))
    return out


live: dict = st.session_state.setdefault("pg_live", {})
for family in list(live):
    if family not in chosen:
        del live[family]
for family, (preset, overrides, signature) in wanted_models().items():
    if family not in live or live[family]["signature"] != signature:
        try:
            model = P.LiveModel.from_preset(preset, dataset, seed=global_seed(), **overrides)
        except GenLabError as error:
            st.error(f"{P.FAMILY_LABELS[family]}: {error}")
            continue
        live[family] = {"signature": signature, "model": model, "frames": 0}


def toggle_play():
    st.session_state["pg_playing"] = not st.session_state.get("pg_playing", False)


def one_step():
    st.session_state["pg_playing"] = False
    for entry in st.session_state.get("pg_live", {}).values():
        entry["model"].train(1)


def reset():
    st.session_state["pg_playing"] = False
    st.session_state["pg_live"] = {}


playing = st.session_state.get("pg_playing", False)
controls = st.columns([1, 1, 1, 3])
controls[0].button("⏸ Pause" if playing else "▶ Play", key="pg_play", on_click=toggle_play, type="primary",
                   width="stretch")
controls[1].button("Step", key="pg_step", on_click=one_step, width="stretch",
                   help="one training step of every model (pauses)")
controls[2].button("Reset", key="pg_reset", on_click=reset, width="stretch",
                   help="start every model again from its initial weights")
controls[3].select_slider("Speed: training steps per frame", SPEEDS, value=10, key="pg_speed",
                          help="each frame (5 a second while playing) trains every model this many steps")

# --- drawing ---------------------------------------------------------------------------------------------------


def arrows(x: np.ndarray, d: np.ndarray, scale: float) -> tuple[list, list]:
    """Line segments x -> x + scale * d as one trace's coordinates (None between segments)."""
    xs, ys = [], []
    for (px, py), (dx, dy) in zip(x, d):
        xs += [px, px + scale * dx, None]
        ys += [py, py + scale * dy, None]
    return xs, ys


def joined(lines: list[np.ndarray]) -> tuple[list, list]:
    """Many polylines (each (n, 2)) as one trace's coordinates, None between them: one trace draws much faster
    than hundreds."""
    xs, ys = [], []
    for line in lines:
        xs += line[:, 0].tolist() + [None]
        ys += line[:, 1].tolist() + [None]
    return xs, ys


def square_axes(figure: go.Figure, extent, rows: int = 1, cols: int = 1):
    """Every subplot shows `extent` with equal units on both axes."""
    if rows * cols == 1 and not figure._has_subplots():
        figure.update_xaxes(range=extent[:2], showgrid=False, zeroline=False)
        figure.update_yaxes(range=extent[2:], showgrid=False, zeroline=False, scaleanchor="x")
        return
    for k in range(1, rows * cols + 1):
        figure.update_xaxes(range=extent[:2], row=(k - 1) // cols + 1, col=(k - 1) % cols + 1, showgrid=False,
                            zeroline=False)
        figure.update_yaxes(range=extent[2:], row=(k - 1) // cols + 1, col=(k - 1) % cols + 1, showgrid=False,
                            zeroline=False, scaleanchor=f"x{k if k > 1 else ''}")


def samples_figure(models: dict, samples: dict, real: np.ndarray, extent) -> go.Figure:
    families = list(models)
    figure = make_subplots(rows=1, cols=len(families), horizontal_spacing=0.02,
                           subplot_titles=[f"{P.FAMILY_LABELS[f]} · step {models[f].steps}" for f in families])
    for col, family in enumerate(families, start=1):
        figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", showlegend=col == 1, name="data",
                                    marker=dict(size=3, color="rgba(120,120,120,0.35)")), row=1, col=col)
        s = samples[family]
        figure.add_trace(go.Scatter(x=s[:, 0], y=s[:, 1], mode="markers", name="samples", showlegend=col == 1,
                                    marker=dict(size=3, color=COLORS[family])), row=1, col=col)
    square_axes(figure, extent, 1, len(families))
    figure.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.05),
                         uirevision="samples")
    return figure


def metrics_table(models: dict, found: dict) -> pd.DataFrame:
    rows = []
    for family, model in models.items():
        m = found[family]
        row = {"model": P.FAMILY_LABELS[family], "step": model.steps,
               "steps/s": round(model.steps / model.seconds) if model.seconds else None}
        if "modes_covered" in m:
            row.update({"modes covered": f"{m['modes_covered']}/{m['num_modes']}",
                        "high quality": f"{m['high_quality']:.1%}", "reverse KL": round(m["reverse_kl"], 3)})
        row.update({"precision": round(m.get("precision", float("nan")), 3),
                    "recall": round(m.get("recall", float("nan")), 3)})
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def curves_figure(models: dict) -> go.Figure:
    families = list(models)
    figure = make_subplots(rows=1, cols=len(families), horizontal_spacing=0.05,
                           subplot_titles=[P.FAMILY_LABELS[f] for f in families])
    for col, family in enumerate(families, start=1):
        history = models[family].history
        steps = history["step"]
        stride = max(1, len(steps) // 400)
        for key in [k for k in history if k.startswith("loss") or k == "nll"]:
            figure.add_trace(go.Scatter(x=steps[::stride], y=history[key][::stride], mode="lines", name=key,
                                        showlegend=False, line=dict(width=1)), row=1, col=col)
        metric = models[family].metric_history
        if "high_quality" in metric:
            figure.add_trace(go.Scatter(x=metric["step"], y=metric["high_quality"], mode="lines", name="high quality",
                                        line=dict(color="black", dash="dot"), showlegend=False), row=1, col=col)
    figure.update_layout(height=220, margin=dict(l=10, r=10, t=40, b=10), uirevision="curves")
    return figure


def gan_inside(model: P.LiveModel, real: np.ndarray, extent) -> go.Figure:
    m = model.model
    d_map = P.discriminator_map(m, extent, companions=torch.as_tensor(real[:16]))
    n_arrows = 200 - 200 % m.config.pack
    pushed = P.generator_arrows(m, model.view_z[:n_arrows])
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.06, subplot_titles=(
        "D(x) (yellow: 'real') and where G's loss pushes samples", "the image of a grid of z under G"))
    figure.add_trace(go.Heatmap(x=d_map["x"], y=d_map["y"], z=d_map["d"], zmin=0, zmax=1, colorscale="Viridis",
                                colorbar=dict(title="D(x)", len=0.8, x=0.46)), row=1, col=1)
    figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data", showlegend=False,
                                marker=dict(size=3, color="white")), row=1, col=1)
    push = pushed["push"]
    norm = np.linalg.norm(push, axis=1).max() or 1.0
    ax, ay = arrows(pushed["x"], push / norm, 0.12 * (extent[1] - extent[0]))
    figure.add_trace(go.Scatter(x=ax, y=ay, mode="lines", line=dict(color="#d62728", width=1), showlegend=False,
                                hoverinfo="skip"), row=1, col=1)
    figure.add_trace(go.Scatter(x=pushed["x"][:, 0], y=pushed["x"][:, 1], mode="markers", showlegend=False,
                                marker=dict(size=4, color="#d62728")), row=1, col=1)
    figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", showlegend=False,
                                marker=dict(size=3, color="rgba(120,120,120,0.35)")), row=1, col=2)
    gx, gy = joined(P.generator_grid(m))
    figure.add_trace(go.Scatter(x=gx, y=gy, mode="lines", showlegend=False, hoverinfo="skip",
                                line=dict(color="#d62728", width=1)), row=1, col=2)
    square_axes(figure, extent, 1, 2)
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="gan")
    return figure


def vae_inside(model: P.LiveModel, real: np.ndarray, samples: np.ndarray, extent) -> go.Figure:
    m = model.model
    sigma = (0.5 * m.log_sigma2).exp().detach().numpy() * m.config.data_scale
    figure = go.Figure([go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data",
                                   marker=dict(size=3, color="rgba(120,120,120,0.35)")),
                        go.Scatter(x=samples[:, 0], y=samples[:, 1], mode="markers", name="samples",
                                   marker=dict(size=3, color=COLORS["vae"], opacity=0.5))])
    gx, gy = joined(P.vae_decoder_grid(m))
    figure.add_trace(go.Scatter(x=gx, y=gy, mode="lines", hoverinfo="skip", name="decoder mean over a grid of z",
                                line=dict(color="#08306b", width=1)))
    figure.update_layout(title=f"decoder mean mu(z) over a z grid; samples add noise of sigma = "
                               f"({sigma[0]:.3f}, {sigma[1]:.3f}): the blur between modes",
                         height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="vae")
    square_axes(figure, extent)
    return figure


def diffusion_inside(model: P.LiveModel, real: np.ndarray, samples: np.ndarray, extent) -> go.Figure:
    m = model.model
    t = st.session_state.get("pg_diff_t", m.config.timesteps // 4)
    field = P.diffusion_field(m, extent, min(t, m.config.timesteps - 1))
    ax, ay = arrows(field["x"], field["pull"], 0.5)
    figure = go.Figure([go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data",
                                   marker=dict(size=3, color="rgba(120,120,120,0.35)")),
                        go.Scatter(x=ax, y=ay, mode="lines", name="x0_hat - x_t (half length)",
                                   line=dict(color=COLORS["ddpm"], width=1)),
                        go.Scatter(x=field["x"][:, 0], y=field["x"][:, 1], mode="markers", showlegend=False,
                                   marker=dict(size=3, color=COLORS["ddpm"]))])
    figure.update_layout(title=f"denoising field at t = {t}: where the model thinks the clean data is",
                         height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="ddpm")
    square_axes(figure, extent)
    return figure


def flow_inside(model: P.LiveModel, real: np.ndarray, extent) -> go.Figure:
    stages = P.flow_layers(model.model)
    shown = list(range(len(stages)))
    cols = 5
    rows = -(-len(shown) // cols)
    figure = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.02, vertical_spacing=0.06,
                           subplot_titles=["z ~ N(0, I)"] + [f"after layer {k}" for k in shown[1:]])
    for i, k in enumerate(shown):
        r, c = i // cols + 1, i % cols + 1
        if k == shown[-1]:
            figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", showlegend=False,
                                        marker=dict(size=2, color="rgba(120,120,120,0.35)")), row=r, col=c)
        gx, gy = joined(stages[k])
        figure.add_trace(go.Scatter(x=gx, y=gy, mode="lines", showlegend=False, hoverinfo="skip",
                                    line=dict(color=COLORS["flow"], width=1)), row=r, col=c)
    square_axes(figure, extent, rows, cols)
    figure.update_layout(height=230 * rows, margin=dict(l=10, r=10, t=40, b=10), uirevision="flow")
    return figure


def ebm_inside(model: P.LiveModel, real: np.ndarray, extent) -> go.Figure:
    m = model.model
    landscape = P.energy_map(m, extent)
    chains = P.langevin_chains(m, seed=model.steps)
    figure = go.Figure([go.Heatmap(x=landscape["x"], y=landscape["y"], z=landscape["energy"], colorscale="Cividis",
                                   reversescale=True, colorbar=dict(title="E(x)")),
                        go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data",
                                   marker=dict(size=2, color="white"))])
    for k in range(chains.shape[1]):
        figure.add_trace(go.Scatter(x=chains[:, k, 0], y=chains[:, k, 1], mode="lines", showlegend=k == 0,
                                    name="Langevin chains from noise", line=dict(color=COLORS["ebm"], width=1.5)))
    figure.add_trace(go.Scatter(x=chains[-1, :, 0], y=chains[-1, :, 1], mode="markers", name="chain ends",
                                marker=dict(size=7, color=COLORS["ebm"], symbol="x")))
    figure.update_layout(title="energy E(x) (dark: low, where samples gather) and 150-step Langevin chains",
                         height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="ebm",
                         legend=dict(orientation="h", y=-0.1))
    square_axes(figure, extent)
    return figure


def inside_figure(model: P.LiveModel, real, samples, extent) -> go.Figure:
    family = model.family_name
    if family == "gan":
        return gan_inside(model, real, extent)
    if family == "vae":
        return vae_inside(model, real, samples["vae"], extent)
    if family == "ddpm":
        return diffusion_inside(model, real, samples["ddpm"], extent)
    if family == "flow":
        return flow_inside(model, real, extent)
    return ebm_inside(model, real, extent)


@st.fragment
def live_view():
    """The models' pictures, drawn into placeholders. While playing, a loop trains every model `speed` steps
    and redraws, ~5 times a second; any click (Pause, a setting) interrupts the loop with a rerun, so the
    controls stay live. The loop stops by itself at MAX_PLAY_STEPS."""
    entries = st.session_state.get("pg_live", {})
    models = {f: entries[f]["model"] for f in chosen if f in entries}
    if not models:
        return
    real = dataset.x_test[:1000].numpy()
    extent = P.data_extent(real)
    status = st.empty()
    samples_slot, table_slot = st.empty(), st.empty()
    st.caption("Over 500 samples per model from fixed noise. **Modes covered**: modes with a high-quality sample; "
               "**high quality**: samples within 3 std of a mode; **reverse KL**: KL(samples' mode histogram || "
               "uniform) in nats (0 is perfect, log K is one mode); **precision / recall**: k-NN (k = 5) manifold "
               "overlap with held-out points. Mode metrics need a toy with known modes (ring8, grid25). Curves: "
               "the losses, and (dotted) the high-quality share.")
    curves_slot = st.empty()
    inside = st.radio("Look inside", list(models), horizontal=True, key="pg_inside", format_func=P.FAMILY_LABELS.get)
    looked_at = models.get(inside) or next(iter(models.values()))
    if looked_at.family_name == "ddpm":
        st.slider("Timestep t of the denoising field", 0, looked_at.config.timesteps - 1,
                  looked_at.config.timesteps // 4, key="pg_diff_t")
    inside_slot = st.empty()
    st.caption(f"{P.FAMILY_LABELS[looked_at.family_name]} settings: {looked_at.describe()}")

    frame_times = []

    def draw():
        samples = {f: m.view_samples() for f, m in models.items()}
        found = {f: m.record_metrics(samples[f]) for f, m in models.items()}
        samples_slot.plotly_chart(samples_figure(models, samples, real, extent), config={"displayModeBar": False})
        table_slot.dataframe(metrics_table(models, found), width="stretch")
        curves_slot.plotly_chart(curves_figure(models), config={"displayModeBar": False})
        inside_slot.plotly_chart(inside_figure(looked_at, real, samples, extent), config={"displayModeBar": False})

    draw()
    speed = st.session_state.get("pg_speed", 10)
    while st.session_state.get("pg_playing", False):
        started = time.perf_counter()
        for model in models.values():
            model.train(speed)
        draw()
        frame_times.append(time.perf_counter() - started)
        recent = frame_times[-10:]
        status.caption(f"Playing: {len(recent) / sum(recent):.1f} frames a second, {speed} steps per model per "
                       f"frame. Pause to stop.")
        if min(m.steps for m in models.values()) >= MAX_PLAY_STEPS:
            st.session_state["pg_playing"] = False
            status.caption(f"Paused at {MAX_PLAY_STEPS:,} steps; press Play to go on.")
            break
        time.sleep(max(0.0, FRAME_SECONDS - (time.perf_counter() - started)))


live_view()
