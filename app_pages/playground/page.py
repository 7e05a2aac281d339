"""2-D Playground: every family trained live on the same points, with play / pause / step / speed, the mode
metrics as they change, and a look inside each model (D's heat map, a flow's layers, an energy landscape...)."""
import hashlib
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gen_core.labs import playground as P

from gen_core.labs import playground_views as views

from gen_core.labs import drawn_points
from gen_core.data.toys import TOYS
from gen_core.errors import GenLabError, TrainingDiverged
from ui.charts import legible
from ui.loaders import get_dataset
from ui import point_frames as frames
from ui.images import inline_jpeg
from ui.point_figures import curves_figure, inside_figure, metrics_table, samples_figure
from ui.notice import notice
from app_pages.playground.interrupts import rerun_waiting
from ui.settings import global_seed
from ui.text import markdown_table, plain
from ui.widget_keys import PLAYGROUND

DRAW = "draw your own"
FAMILIES = list(P.FAMILY_LABELS)
MAX_SPEED = "max"  # as many steps as fit in each frame's time after its redraw
SPEEDS = (1, 2, 5, 10, 20, 50, MAX_SPEED)
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
notice("playground", "page")


def apply_gan_preset():
    """Callback: write the chosen preset's settings into the GAN widgets."""
    preset = P.PRESETS[st.session_state[PLAYGROUND.GAN_PRESET]]
    defaults = P.preset_config(st.session_state[PLAYGROUND.GAN_PRESET], get_dataset("ring8"))
    for key, name in GAN_FIELDS.items():
        st.session_state[key] = preset.overrides.get(name, getattr(defaults, name))


if PLAYGROUND.LOSS not in st.session_state:
    st.session_state[PLAYGROUND.GAN_PRESET] = st.session_state.get(PLAYGROUND.GAN_PRESET, GAN_PRESETS[0])
    apply_gan_preset()

# --- data -------------------------------------------------------------------------------------------------------

top = st.columns([1, 2])
data_choice = top[0].selectbox("Data", list(TOYS) + [DRAW], key=PLAYGROUND.DATA, bind="query-params",
                               format_func=lambda n: n if n == DRAW else f"{n}: {TOYS[n][1].split(':')[0]}")
# Pills, not a multiselect; below, the speed is a segmented control, not a select slider: the page's first view
# drew a multiselect's tags and a slider (with its number-formatting scripts) that the browser took ~0.2 s to load
# and lay out (first load 1.81 -> 1.55 s, medians of 5 in Chromium). One click toggles a model.
chosen = top[1].pills("Models", FAMILIES, selection_mode="multi", default=FAMILIES, key=PLAYGROUND.FAMILIES,
                      bind="query-params", format_func=P.FAMILY_LABELS.get)


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
    lin = np.linspace(drawn_points.CANVAS[0], drawn_points.CANVAS[1], 41)
    gx, gy = np.meshgrid(lin, lin)
    figure = go.Figure([
        go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", marker=dict(size=9, color="rgba(0,0,0,0.04)"),
                   hoverinfo="none", name="canvas", showlegend=False),
        go.Scatter(x=drawn[:, 0], y=drawn[:, 1], mode="markers", marker=dict(size=4, color="#444"),
                   hoverinfo="skip", name="your points", showlegend=False)])
    # No drag mode by default: with the lasso as the drag mode a click selected nothing in Chromium and added no
    # blob (checked against 'pan' and none, where clicks select). The lasso and box are a toolbar click away. The
    # title is a caption: inside the chart it ran under the toolbar.
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=10), dragmode=False, clickmode="event+select")
    figure.update_xaxes(range=drawn_points.CANVAS[:2], showgrid=False, title="x₁")
    figure.update_yaxes(range=drawn_points.CANVAS[2:], scaleanchor="x", showgrid=False, title="x₂")
    with cols[0]:
        st.caption(f"**{len(drawn)} points.** Click to add a blob. To fill a region, pick the lasso or the box in "
                   "the chart's toolbar and drag around it.")
        event = st.plotly_chart(legible(figure), on_select="rerun", selection_mode=("points", "box", "lasso"),
                                key="pg_canvas", config={"displaylogo": False})
    selection = event.selection if event else None
    if selection:
        signature = repr((selection.get("points"), selection.get("box"), selection.get("lasso")))
        if signature != st.session_state.get("pg_selection_seen"):
            st.session_state["pg_selection_seen"] = signature
            rng = np.random.default_rng(len(drawn))
            added = [np.zeros((0, 2))]
            for region in selection.get("lasso") or []:
                added.append(drawn_points.fill_region(region["x"], region["y"], density, rng))
            for region in selection.get("box") or []:
                (x0, x1), (y0, y1) = region["x"], region["y"]
                added.append(drawn_points.fill_region([x0, x1, x1, x0], [y0, y0, y1, y1], density, rng))
            if not (selection.get("lasso") or selection.get("box")):
                for point in selection.get("points") or []:
                    added.append(drawn_points.blob((point["x"], point["y"]), per_click, spread, rng))
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

if not chosen and not st.session_state.get("pg_gan_compare"):
    st.info("Pick at least one model above.")
    st.stop()

# --- the GAN's settings -----------------------------------------------------------------------------------------

# In a popover, not an expander: an expander's widgets are drawn even while it is closed, and these twelve held the
# page's first view back (first load 2.06-2.09 -> 1.72-1.79 s, medians of 5 loads in Chromium, two rounds each);
# a popover's are drawn when it opens. Their values live in the session either way, and links still set them.
with st.popover("GAN settings: objective, steps per iteration, learning rates, widths, packing",
                icon=":material/tune:", width="stretch"):
    row = st.columns([2, 3])
    row[0].selectbox("Preset", GAN_PRESETS, key=PLAYGROUND.GAN_PRESET, bind="query-params", on_change=apply_gan_preset)
    row[1].caption(P.PRESETS[st.session_state[PLAYGROUND.GAN_PRESET]].description)
    a, b, c, d, e = st.columns(5)
    a.selectbox("Objective", ("nonsaturating", "minimax", "hinge", "wgan-gp"), key=PLAYGROUND.LOSS, bind="query-params")
    a.number_input("z size", 1, 16, key="pg_z_dim", bind="query-params")
    b.number_input("D steps per iteration", 1, 10, key="pg_d_steps", bind="query-params")
    b.number_input("G steps per iteration", 1, 10, key="pg_g_steps", bind="query-params")
    c.select_slider("G learning rate", (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2), key="pg_lr_g", bind="query-params",
                    format_func=lambda v: f"{v:g}")
    c.select_slider("D learning rate", (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2), key="pg_lr_d", bind="query-params",
                    format_func=lambda v: f"{v:g}")
    d.select_slider("Width (hidden units / 4)", (4, 8, 16, 32, 64), key="pg_width", bind="query-params")
    d.number_input("Hidden layers", 1, 5, key="pg_depth", bind="query-params")
    e.select_slider("Pack (PacGAN)", (1, 2, 4, 8), key="pg_pack", bind="query-params")
    e.number_input("Anneal LR to 0 by step (0 = never)", 0, 100_000, step=1000, key="pg_anneal", bind="query-params")
    st.multiselect("Compare: train these presets beside it, as they are", GAN_PRESETS, key="pg_gan_compare", bind="query-params",
                   help="each becomes one more model on the same data, with its own panel, metrics row and curves: "
                        "a collapsing preset next to the fixes, say")
gan_overrides = {name: st.session_state[key] for key, name in GAN_FIELDS.items()}

# --- the models: built when the data or their settings change ---------------------------------------------------


def wanted_models() -> dict[str, tuple]:
    """key -> (preset, label, overrides, signature) for the models the controls ask for: one per chosen family
    (keyed by family; the GAN with the settings above), then one per compared GAN preset (keyed by its name)."""
    seed = global_seed()
    out = {}
    for family in chosen:
        preset = st.session_state[PLAYGROUND.GAN_PRESET] if family == "gan" else P.DEFAULT_PRESET[family]
        overrides = gan_overrides if family == "gan" else {}
        out[family] = (preset, P.FAMILY_LABELS[family], overrides,
                       (data_key, seed, preset, tuple(sorted(overrides.items()))))
    for preset in st.session_state.get("pg_gan_compare", []):
        out[preset] = (preset, preset, {}, (data_key, seed, preset))
    return out


live: dict = st.session_state.setdefault("pg_live", {})
wanted = wanted_models()
for key in list(live):
    if key not in wanted:
        del live[key]
for key, (preset, label, overrides, signature) in wanted.items():
    if key not in live or live[key]["signature"] != signature:
        try:
            model = P.LiveModel.from_preset(preset, dataset, seed=global_seed(), label=label, **overrides)
        except GenLabError as error:
            st.error(f"{label}: {plain(error)}")
            continue
        live[key] = {"signature": signature, "model": model, "frames": 0}


def toggle_play():
    st.session_state["pg_playing"] = not st.session_state.get("pg_playing", False)


def one_step():
    st.session_state["pg_playing"] = False
    try:
        for entry in st.session_state.get("pg_live", {}).values():
            entry["model"].train(1)
    except TrainingDiverged as error:
        diverged(error)


def reset():
    st.session_state["pg_playing"] = False
    st.session_state["pg_live"] = {}
    st.session_state["pg_rebuild"] = True  # models are built by the page, not the fragment: rerun the page


def diverged(error: TrainingDiverged) -> None:
    """A model's loss or weights went NaN or inf: pause, say so, and start the models afresh (a NaN model draws
    nothing worth seeing)."""
    reset()
    st.session_state["pg_diverged"] = f"{error}. The models start again from step 0."


if "pg_diverged" in st.session_state:
    st.error(plain(st.session_state.pop("pg_diverged")))
st.session_state.pop("pg_rebuild", None)


def control_row() -> None:
    """Play, Step, Reset, speed and the pause step. They sit inside the live view's fragment, so a click reruns
    only the pictures (Step trained one step and then reran the whole page: 1.7 s to see it)."""
    playing = st.session_state.get("pg_playing", False)
    controls = st.columns([0.8, 0.8, 0.8, 2.6, 1])  # the speed's seven segments need the room
    # Material icons ship with Streamlit; the pause sign as a character was missing from the page's font
    controls[0].button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                       key="pg_play", on_click=toggle_play, type="primary",
                       width="stretch")
    controls[1].button("Step", key="pg_step", on_click=one_step, width="stretch",
                       help="one training step of every model (pauses)")
    controls[2].button("Reset", key="pg_reset", on_click=reset, width="stretch",
                       help="start every model again from its initial weights")
    controls[3].segmented_control("Speed: training steps per frame", SPEEDS, default=MAX_SPEED, required=True,
                                  key="pg_speed", bind="query-params",
                                  help="each frame (up to 10 a second while playing) trains every model this many "
                                       "steps; 'max' trains for whatever time the frame has left after drawing")
    controls[4].number_input("Pause at step", 1, 1_000_000, MAX_PLAY_STEPS, step=1000, key="pg_stop_at", bind="query-params",
                             help="playing stops by itself once every model has trained this many steps")
    # Pictures by default: three Plotly charts take the browser 2-3 s to redraw on a small machine, a picture
    # 0.1 s, so Step and 'Look inside' answer at once; the charts are there for reading values when paused.
    st.toggle("Interactive charts when paused (hover, zoom; slower to redraw)", key="pg_interactive", bind="query-params")


# --- drawing ---------------------------------------------------------------------------------------------------


@st.fragment
def live_view():
    """The models' pictures, drawn into placeholders. While playing, a loop trains every model `speed` steps
    and redraws, up to 10 times a second. Between frames it returns as soon as a click (Pause, a setting) is
    waiting, so the click's rerun comes next and the loop starts again if still playing (see app_pages/playground/interrupts.py).
    The loop stops by itself at the 'Pause at step' step."""
    if "pg_diverged" in st.session_state or "pg_rebuild" in st.session_state:
        st.rerun()  # the page builds the models and shows the message: rerun all of it (it clears both flags)
    control_row()
    entries = st.session_state.get("pg_live", {})
    models = {key: entries[key]["model"] for key in wanted if key in entries}
    if not models:
        return
    real = dataset.x_test[:1000].numpy()
    extent = views.data_extent(real)
    status = st.empty()
    samples_slot, table_slot = st.empty(), st.empty()
    st.caption("Over 500 samples per model from fixed noise. **Modes covered**: modes with a high-quality sample; "
               "**high quality**: samples within 3 std of a mode; **reverse KL**: KL(samples' mode histogram || "
               "uniform) in nats (0 is perfect, log K is one mode); **precision / recall**: k-NN (k = 5) manifold "
               "overlap with held-out points. Mode metrics need a toy with known modes (ring8, grid25). Curves: "
               "the losses (while playing, each scaled to its own range: D's in the model's colour, G's grey) and, "
               "in black, the high-quality share from 0 to 1. While playing, the table and the curves refresh three "
               "times a second, the samples at every frame. Pause and turn on interactive charts to hover, zoom and "
               "read the axes.")
    curves_slot = st.empty()
    inside = st.radio("Look inside", list(models), horizontal=True, key="pg_inside", bind="query-params",
                      format_func=lambda key: models[key].label)
    looked_at = models.get(inside) or next(iter(models.values()))
    if looked_at.family_name == "ddpm":
        st.slider("Timestep t of the denoising field", 0, looked_at.config.timesteps - 1,
                  looked_at.config.timesteps // 4, key="pg_diff_t", bind="query-params")
    inside_slot = st.empty()
    st.caption(f"{looked_at.label} settings: {looked_at.describe()}")

    if "pg_paused_note" in st.session_state:
        status.caption(st.session_state.pop("pg_paused_note"))
    frame_times = []

    diffusion_t = st.session_state.get("pg_diff_t", 50)

    def draw(live: bool, metrics: bool = True):
        """Pillow images while playing (a changed Plotly chart remounts and blinks, see ui/point_frames.py) and
        when paused, unless interactive charts are on: then the same pictures as Plotly figures. `metrics`: also
        measure the samples and redraw the table and the curves (while playing, every METRICS_SECONDS)."""
        samples = {f: m.view_samples() for f, m in models.items()}
        if metrics:
            found = {f: m.record_metrics(samples[f]) for f, m in models.items()}
            # A Markdown table: st.dataframe's grid is a separate script the browser loads and starts on the page's
            # first view, and it held the pictures back (first load 2.2 s against 1.9 s; bench/interactions.py);
            # st.table loads a 0.7 MB one for Arrow tables.
            table_slot.markdown(markdown_table(metrics_table(models, found)))
        view = views.inside_view(looked_at, real, extent, diffusion_t)  # computed once, whichever draws it
        if live:  # inline pictures: no media file and no HTTP request per frame (ui/images.py)
            samples_slot.image(inline_jpeg(frames.samples_frame(models, samples, real, extent)))
            if metrics:
                curves_slot.image(inline_jpeg(frames.curves_frame(models)))
            inside_slot.image(inline_jpeg(frames.inside_frame(view, real, samples, extent)))
            return
        plot = dict(config={"displayModeBar": False})
        samples_slot.plotly_chart(legible(samples_figure(models, samples, real, extent)), **plot)
        curves_slot.plotly_chart(legible(curves_figure(models)), **plot)
        inside_slot.plotly_chart(legible(inside_figure(view, real, samples, extent)), **plot)

    draw(live=st.session_state.get("pg_playing", False) or not st.session_state.get("pg_interactive", False))
    speed = st.session_state.get("pg_speed", MAX_SPEED)
    stop_at = st.session_state.get("pg_stop_at", MAX_PLAY_STEPS)
    redraw_seconds = 0.05  # the last redraw's time, left out of the next frame's training time at 'max' speed
    measured = time.perf_counter()  # the metrics were just drawn above
    waited = []  # of the last ten frames, those that waited for a training slot (other sessions held them all)
    while st.session_state.get("pg_playing", False) and not rerun_waiting():
        started = time.perf_counter()
        steps = 0
        with P.LIVE_TRAINING.slot(timeout=P.FRAME_SECONDS) as (got, wait):
            try:
                if not got:
                    pass  # other sessions hold every slot: redraw, and try again next frame
                elif speed == MAX_SPEED:
                    steps = P.train_for(models.values(), P.training_seconds(redraw_seconds), stop_at)
                else:
                    steps = P.train_for(models.values(), 0.0, stop_at, chunk=speed)  # one turn of `speed`
            except TrainingDiverged as error:
                diverged(error)
                st.rerun()  # the whole page: the button says Play again and the message shows
        waited = (waited + [not got or wait > 0.01])[-10:]
        drawing = time.perf_counter()
        measure = drawing - measured >= P.METRICS_SECONDS
        draw(live=True, metrics=measure)
        measured = drawing if measure else measured
        redraw_seconds = time.perf_counter() - drawing
        frame_times.append((time.perf_counter() - started, steps))
        recent = frame_times[-10:]
        seconds = sum(t for t, _ in recent)
        note = (f" Sharing the server: {P.LIVE_TRAINING.size} session(s) may train at a time and others are "
                f"training too, so {sum(waited)} of the last {len(waited)} frames waited their turn."
                if sum(waited) >= 3 else "")
        status.caption(f"Playing: {len(recent) / seconds:.1f} frames a second, "
                       f"{sum(n for _, n in recent) / seconds:.0f} training steps a second per model, redrawing "
                       f"included (the table's 'steps/s training' counts training time alone).{note} "
                       f"Pause to stop.")
        if min(m.steps for m in models.values()) >= stop_at:
            st.session_state["pg_playing"] = False
            st.session_state["pg_paused_note"] = f"Paused at step {stop_at:,}: raise 'Pause at step' to go on."
            st.rerun()  # the whole page, so the button says Play again
        time.sleep(max(0.0, P.FRAME_SECONDS - (time.perf_counter() - started)))


# The live view goes into this container, drawn last: while playing, its loop holds the run, and anything the page
# drew after it (GAN slow motion) would wait for Pause.
live_view_box = st.container()


def rerun_page_if_playing():
    """Callback of a widget outside the live view: its click ends the live view's loop (app_pages/playground/interrupts.py), and
    only a rerun of the whole page starts it again."""
    if st.session_state.get("pg_playing", False):
        st.rerun()


@st.fragment
def slow_motion() -> None:
    """GAN slow motion, as in GAN Lab: one D step, then one G step, each with a picture of what it changed."""
    entries = st.session_state.get("pg_live", {})
    gans = {key: entries[key]["model"] for key in wanted if key in entries and entries[key]["model"].family_name == "gan"}
    if not gans:
        return
    st.subheader("GAN slow motion")
    if not st.toggle("One D step, then one G step, each with what it changed", key="pg_slow", bind="query-params",
                     on_change=rerun_page_if_playing):
        return
    key = next(iter(gans))
    model = gans[key]
    real = dataset.x_test[:1000].numpy()
    extent = views.data_extent(real)
    buttons = st.columns([1, 1, 4])
    d_pressed = buttons[0].button("D step", key="pg_slow_d", type="primary", width="stretch")
    g_pressed = buttons[1].button("G step", key="pg_slow_g", width="stretch")
    pressed = "D" if d_pressed else "G" if g_pressed else None
    if pressed:
        try:
            st.session_state["pg_slow_last"] = model.half_step(pressed, extent)
        except TrainingDiverged as error:
            diverged(error)
            st.rerun()
        if st.session_state.get("pg_playing", False):
            st.session_state["pg_playing"] = False
            st.rerun()  # the whole page, so the live view stops and its button says Play
    buttons[2].caption(f"{model.label}: {model.half_steps['D']} D steps and {model.half_steps['G']} G steps taken "
                       f"here, on top of {model.steps} training iterations. Each is one half of an iteration: D "
                       f"learns to tell the data (white) from G's samples (red); then G moves its samples towards "
                       f"where D says 'real' (yellow). The pictures above catch up at the next Step or Play.")
    last = st.session_state.get("pg_slow_last")
    if last is None:
        st.info("Press **D step** to see the discriminator's map move, then **G step** to see the samples follow it.")
        return
    metrics = ", ".join(f"{k} = {v:.3f}" for k, v in last["metrics"].items())
    st.image(frames.half_step_frame(last, real, extent), output_format="PNG",
             caption=f"the last {last['network']} step: {metrics}")


slow_motion()
with live_view_box:
    live_view()
