"""Diffusion Theater: the forward process (data to noise) with its schedules and equation, the reverse process
(noise to data) step by step beside the model's guess of the clean image, DDPM against DDIM, classifier-free
guidance, inpainting, a 2-D model's vector field and trajectories, and diffusion in a VAE's latent space."""
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from gen_core import metrics, render
from gen_core.device import make_generator
from gen_core.masks import MASKS, known_mask
from gen_core.models import diffusion as D
from gen_core.models import latent_diffusion as LD
from ui.charts import schedule_chart
from ui.images import show_grid
from ui.loaders import checkpoints_of, describe_checkpoint, get_core, get_dataset
from ui.player import player_html
from ui.point_figures import arrows
from ui.point_frames import DATA_GREY, Panel, side_by_side
from ui.settings import forget, global_seed, next_seed, seed_input
from ui.text import code, plain

UNCONDITIONAL = "no class (unconditional)"
PLAYBACK_FRAMES = 120  # a DDPM run keeps about this many of its 1000 steps for playback

st.title("Diffusion Theater")
st.markdown(r"Diffusion models destroy data with noise in $T$ small steps, and learn to undo one step at a time. "
            r"A network $\epsilon_\theta(x_t, t)$ predicts the noise in $x_t$, which also gives its guess of the "
            r"clean image, $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta)/\sqrt{\bar\alpha_t}$. "
            r"Sampling runs that network once per step, which is why diffusion is slow, and why DDIM's skipped "
            r"steps matter.")

core = get_core()
device_key = str(core.device)
ddpm_models = checkpoints_of("ddpm")
image_models = {c["name"]: c for c in ddpm_models if c["card"]["dataset"].get("kind", "image") == "image"}
point_models = {c["name"]: c for c in ddpm_models if c["card"]["dataset"].get("kind") == "points"}
latent_models = {c["name"]: c for c in checkpoints_of("ldm")}
if not image_models:
    st.warning("No image diffusion checkpoints found. Train one: "
               "`python -m gen_core.train ddpm --dataset digits --set num_classes=10`.")
    st.stop()

name = st.selectbox("Image model", list(image_models), format_func=lambda n: describe_checkpoint(image_models[n]),
                    key="diff_model", on_change=forget,
                    args=("diff_run", "diff_label", "diff_guide_label"))
card = image_models[name]["card"]
config = card["config"]
dataset = get_dataset(card["dataset"]["name"])
class_names = card["dataset"].get("class_names", [])
conditional = bool(config.get("num_classes"))
T = config["timesteps"]
st.caption(f"U-Net of width {config['channels']}, {config['schedule']} schedule, T = {T}, "
           f"{'class-conditional with classifier-free guidance' if conditional else 'unconditional'}; "
           f"{card['steps']} training steps on {dataset.name} · reproduce: {code(card.get('command', '?'))}")

tabs = st.tabs(["Forward", "Reverse", "Samplers", "Guidance", "Inpainting", "2-D", "Latent diffusion"],
               key="diff_tab", on_change="rerun", bind="query-params")
forward_tab, reverse_tab, samplers_tab, guidance_tab, inpaint_tab, toy_tab, latent_tab = tabs


def loaded_model(ref: str):
    return core.load(ref).model


def labels_for(choice: str, n: int) -> torch.Tensor | None:
    if not conditional or choice == UNCONDITIONAL:
        return None
    return torch.full((n,), class_names.index(choice), dtype=torch.long)


def schedule_figure(t: int):
    """beta_t, abar_t and SNR(t) of both schedules, with t marked (Vega-Lite: the Forward tab opens the page, and a
    Plotly chart there made every new tab load Plotly's 4.7 MB bundle first)."""
    return schedule_chart({name_: {k: v.numpy() for k, v in D.make_schedule(name_, T).items()}
                           for name_ in ("linear", "cosine")}, t)


# --- Forward ---------------------------------------------------------------------------------------------------

@st.fragment
def forward_section():
    st.markdown(r"The forward process needs no training: $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,"
                r"\epsilon$ with $\bar\alpha_t = \prod_{s \le t}(1-\beta_s)$. Slide $t$ and compare the two schedules "
                r"on the same image and the same noise $\epsilon$.")
    c = st.columns([1, 1, 3])
    c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 0, key="diff_fwd_index")
    c[1].button("Random image", icon=":material/casino:", on_click=lambda: st.session_state.update(
        diff_fwd_index=int(np.random.default_rng().integers(len(dataset.x_test)))))
    t = c[2].slider("Timestep t", 0, T - 1, 250, key="diff_fwd_t")
    index = st.session_state.diff_fwd_index
    x0 = dataset.x_test[index:index + 1]
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(global_seed()))
    columns = st.columns(2)
    for column, schedule_name in zip(columns, ("linear", "cosine")):
        s = D.make_schedule(schedule_name, T)
        a, b = float(s["abar"][t].sqrt()), float((1 - s["abar"][t]).sqrt())
        x_t = a * x0 + b * eps
        with column:
            st.markdown(f"**{schedule_name} schedule**" + (" (this model's)" if schedule_name == config["schedule"] else ""))
            st.latex(rf"x_{{{t}}} = \underbrace{{{a:.3f}}}_{{\sqrt{{\bar\alpha_t}}}}\,x_0 + "
                     rf"\underbrace{{{b:.3f}}}_{{\sqrt{{1-\bar\alpha_t}}}}\,\epsilon \qquad "
                     rf"\mathrm{{SNR}} = {float(s['snr'][t]):.3g}")
            strip_t = [int(v) for v in np.linspace(0, T - 1, 8).round()]
            strip = torch.cat([s["abar"][k].sqrt().float() * x0 + (1 - s["abar"][k]).sqrt().float() * eps
                               for k in strip_t])
            st.image(render.side_by_side([render.grid(x0, scale=96 // x0.shape[-1]),
                                          render.grid(x_t.clamp(-1, 1), scale=96 // x0.shape[-1])]),
                     caption=f"x_0 and x_{t}", output_format="PNG")
            st.image(render.grid(strip.clamp(-1, 1), nrow=8), caption="t = " + ", ".join(map(str, strip_t)),
                     width="stretch", output_format="PNG")
    st.altair_chart(schedule_figure(t), key="diff_schedule_chart")
    model = loaded_model(name)
    with torch.inference_mode():
        x_t = D.q_sample(model, x0.to(core.device), torch.tensor([t], device=core.device), eps.to(core.device))
        x0_hat, _ = core.run(name, lambda m: D.denoising_field(m.model, x_t, t))
    st.image(render.side_by_side([render.grid(x_t.cpu().clamp(-1, 1), scale=96 // x0.shape[-1]),
                                  render.grid(x0_hat.cpu().clamp(-1, 1), scale=96 // x0.shape[-1])]),
             caption=f"What this model sees at t = {t} ({config['schedule']} schedule), and its guess of x_0 from it",
             output_format="PNG")


# --- Reverse ---------------------------------------------------------------------------------------------------

def run_reverse(n: int, seed: int, sampler: str, steps: int, label_choice: str, guidance: float, show) -> dict:
    """One reverse run, drawn live through `show(step)`, recorded for playback. One generator draws x_T and then
    every step's noise, as `diffusion.sample` does, so the page and `python -m gen_core.sample` give the same
    samples for the same seed and settings."""
    model = loaded_model(name)
    generator = make_generator(seed, core.device)
    x_T = D.initial_noise(model, n, generator)
    total = T if sampler == "ddpm" else steps
    every = max(1, total // PLAYBACK_FRAMES)
    started = time.perf_counter()
    run = core.run(name, lambda m: D.record(
        D.reverse(m.model, x_T, sampler=sampler, steps=steps, labels=labels_for(label_choice, n), guidance=guidance,
                  generator=generator), every=every, callback=show))
    run.update(seconds=time.perf_counter() - started, sampler=sampler, steps=total, n=n, seed=seed,
               label=label_choice, guidance=guidance)
    return run


def frame_image(run: dict, k: int) -> "render.Image.Image":
    nrow = min(4, run["n"])
    scale = max(2, 112 // run["x"].shape[-1] // max(1, nrow // 2))
    return render.side_by_side([render.grid(run["x"][k].clamp(-1, 1), nrow=nrow, scale=scale),
                                render.grid(run["x0"][k].clamp(-1, 1), nrow=nrow, scale=scale)], gap=16)


def frame_caption(run: dict, k: int) -> str:
    t = run["t"][k]
    if t < 0:
        return "the final samples"
    return f"left: x_{t} (the sampler's input at step {k * max(1, run['steps'] // PLAYBACK_FRAMES) + 1} of " \
           f"{run['steps']}) · right: the model's prediction of x_0 from it"


def reverse_section():
    st.markdown(r"Start from pure noise $x_T \sim \mathcal N(0, I)$ and apply the learned reverse step again and "
                r"again. Left: the noisy $x_t$; right: the model's guess $\hat x_0$ at that step. Coarse shapes settle "
                r"first, details last.")
    c = st.columns([1, 1, 1, 1, 1])
    n = c[0].select_slider("Samples", [1, 4, 8, 16], 8, key="diff_n")
    seed_input("Seed", "diff_seed", global_seed(), where=c[1])
    c[1].button("New noise", icon=":material/casino:", on_click=next_seed, args=("diff_seed",))
    sampler = c[2].radio("Sampler", ["ddpm", "ddim"], key="diff_sampler", horizontal=True,
                         format_func=lambda s: f"DDPM ({T} steps)" if s == "ddpm" else "DDIM (fewer steps)")
    steps = c[3].select_slider("DDIM steps", [10, 20, 50, 100, 200], 50, key="diff_steps",
                               disabled=sampler == "ddpm")
    label_choice, guidance = UNCONDITIONAL, 1.0
    if conditional:
        label_choice = c[4].selectbox("Class", [UNCONDITIONAL, *class_names], index=1 + 3 % len(class_names),
                                      key="diff_label")
        guidance = c[4].slider("Guidance scale", 0.0, 6.0, 3.0, 0.5, key="diff_guidance",
                               disabled=label_choice == UNCONDITIONAL)
    if st.button("Run the reverse process", type="primary", icon=":material/play_arrow:"):
        live = st.empty()
        progress = st.progress(0.0)
        total = T if sampler == "ddpm" else steps
        last_draw = [0.0]

        def show(step: D.Step):
            # redraw at most ~6 times a second: drawing every step would cost more than the sampling itself
            if time.perf_counter() - last_draw[0] > 0.15 or step.t_next < 0:
                last_draw[0] = time.perf_counter()
                progress.progress((step.index + 1) / total, text=f"step {step.index + 1} / {total} (t = {step.t})")
                preview = {"x": step.x_t[None].float().cpu(), "x0": step.x0[None].float().cpu(), "n": n}
                live.image(frame_image(preview, 0), caption=f"x_{step.t} and the predicted x_0", output_format="PNG")

        run = run_reverse(n, st.session_state.diff_seed, sampler, steps, label_choice, guidance, show)
        live.empty()
        progress.empty()
        st.session_state.diff_run = run
    run = st.session_state.get("diff_run")
    if run is None:
        st.info("Press **Run the reverse process** to watch noise turn into samples.")
        return
    st.caption(f"{run['n']} samples with {run['sampler'].upper()} over {run['steps']} steps in {run['seconds']:.2f} s "
               f"({run['seconds'] / run['steps'] * 1000:.1f} ms per step) · seed {run['seed']}"
               + (f" · class {run['label']}, guidance {run['guidance']:g}" if run["label"] != UNCONDITIONAL else ""))
    player(run)


def player(run: dict):
    """Playback of a recorded run in the browser (ui/player.py): every frame is sent once, then play, pause, step
    and scrub need no server round trip. The player's page and the downloads are built once per run."""
    if "player_html" not in run:
        frames = [frame_image(run, k) for k in range(len(run["t"]))]
        run["player_html"] = player_html(frames, [frame_caption(run, k) for k in range(len(frames))],
                                         label="Reverse diffusion, step by step")
        run["gif"] = render.gif_bytes(frames + [frames[-1]] * 10, duration_ms=60)
        strip_at = sorted(set(np.linspace(0, len(run["t"]) - 1, 10).round().astype(int).tolist()))
        strip = torch.cat([run["x"][k] for k in strip_at])  # (steps x samples): one column per kept step
        strip = strip.reshape(len(strip_at), run["n"], *strip.shape[1:]).transpose(0, 1).reshape(-1, *strip.shape[1:])
        run["strip_png"] = render.png_bytes(render.grid(strip.clamp(-1, 1), nrow=len(strip_at)))
    st.iframe(run["player_html"], height="content")
    c = st.columns(2)
    c[0].download_button("Download the run as a GIF", run["gif"], file_name="reverse_diffusion.gif",
                         mime="image/gif", icon=":material/download:")
    c[1].download_button("Download a PNG strip (one row per sample)", run["strip_png"],
                         file_name="reverse_diffusion.png", mime="image/png", icon=":material/download:")


# --- Samplers --------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def sampler_run(model_name: str, device: str, n: int, seed: int, sampler: str, steps: int, eta: float) -> dict:
    """One timed run from x_T drawn with `seed` (the same x_T for every sampler), cached on its own: changing the
    DDIM steps never runs the 1000-step DDPM again. One generator draws x_T and the steps' noise, as
    diffusion.sample does."""
    model = loaded_model(model_name)
    generator = make_generator(seed, core.device)
    x_T = D.initial_noise(model, n, generator)
    started = time.perf_counter()
    x = core.run(model_name, lambda m: D.run_to_end(D.reverse(
        m.model, x_T, sampler=sampler, steps=None if sampler == "ddpm" else steps, eta=eta, generator=generator)))
    return {"x": x.float().cpu(), "seconds": time.perf_counter() - started}


@st.cache_data(show_spinner=False, max_entries=8)
def forward_seconds(model_name: str, device: str, n: int) -> float:
    """One network forward on n samples (the mean of 20 calls after 3 warm-ups), under the model's lock as the
    samplers run (a GPU's CUDA graphs are shared)."""
    model = loaded_model(model_name)
    x = torch.zeros(n, *model.config.image_shape, device=core.device)
    t = torch.zeros(n, dtype=torch.long, device=core.device)

    def time_forward(loaded) -> float:
        for _ in range(3):  # warm up
            loaded.model.predict_eps(x, t)
        started = time.perf_counter()
        for _ in range(20):
            eps = loaded.model.predict_eps(x, t)
        eps.sum().item()  # wait for a GPU to finish
        return (time.perf_counter() - started) / 20

    return core.run(model_name, time_forward)


def samplers_section():
    st.markdown(r"DDPM takes every one of the $T$ steps; DDIM (Song et al., 2021) takes a subsequence of them. With "
                r"$\eta=0$ DDIM is deterministic, so the same $x_T$ always gives the same image, and far fewer "
                r"steps give nearly the same picture. Time is steps × one network forward.")
    c = st.columns(4)
    steps = c[0].select_slider("DDIM steps", [5, 10, 20, 50, 100, 250, 500], 50, key="diff_cmp_steps")
    eta = c[1].slider("DDIM η", 0.0, 1.0, 0.0, 0.1, key="diff_cmp_eta",
                      help="0: deterministic; 1 over all steps: the DDPM sampler again")
    n = c[2].select_slider("Samples", [4, 8, 16], 16, key="diff_cmp_n")
    seed = seed_input("Seed", "diff_cmp_seed", global_seed(), where=c[3])
    with st.spinner(f"Sampling with DDPM ({T} steps)..."):
        result = {"ddpm": sampler_run(name, device_key, n, seed, "ddpm", T, 0.0)}
    with st.spinner(f"Sampling with DDIM ({steps} steps)..."):
        result["ddim"] = sampler_run(name, device_key, n, seed, "ddim", steps, eta)
    forward = forward_seconds(name, device_key, n)
    left, right = st.columns(2)
    for column, key, k in ((left, "ddpm", T), (right, "ddim", steps)):
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


# --- Guidance --------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def guidance_grid(model_name: str, device: str, label: int, scales: tuple[float, ...], n: int, seed: int,
                  steps: int) -> dict:
    """n samples of one class at each guidance scale, all from the same noise (DDIM, eta = 0)."""
    model = loaded_model(model_name)
    x_T = D.initial_noise(model, n, make_generator(seed, core.device))
    rows = []
    for scale in scales:
        labels = torch.full((n,), label, dtype=torch.long)
        rows.append(core.run(model_name, lambda m: D.run_to_end(D.reverse(
            m.model, x_T, sampler="ddim", steps=steps, labels=labels, guidance=scale))).float().cpu())
    x = torch.stack(rows)
    predicted = metrics.predict_classes(dataset, x.flatten(0, 1))
    hits = None if predicted is None else (predicted.reshape(len(scales), n) == label).mean(1)
    spread = [float(torch.pdist(r.flatten(1)).mean()) for r in rows] if n > 1 else [0.0] * len(rows)
    return {"x": x, "hits": hits, "spread": spread}


def guidance_section():
    if not conditional:
        st.info("This model is unconditional. Pick a class-conditional model (one trained with "
                "`--set num_classes=10`) to see classifier-free guidance.")
        return
    st.markdown(r"One network, trained with the class dropped 10% of the time, predicts both $\epsilon(x_t, t, y)$ and "
                r"$\epsilon(x_t, t, \varnothing)$. Guidance with scale $s$ uses $\epsilon(x_t,t,\varnothing) + s\,"
                r"(\epsilon(x_t,t,y) - \epsilon(x_t,t,\varnothing))$: $s=0$ ignores the class, $s=1$ is the plain "
                r"conditional model, $s>1$ pushes past it. Same noise in every column.")
    c = st.columns([1, 2, 1, 1])
    label_name = c[0].selectbox("Class", class_names, index=min(3, len(class_names) - 1), key="diff_guide_label")
    scales = c[1].multiselect("Scales", [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0], [0.0, 1.0, 2.0, 3.0, 5.0],
                              key="diff_guide_scales")
    n = c[2].select_slider("Samples per scale", [4, 8, 12], 8, key="diff_guide_n")
    c[3].number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_guide_seed")
    if not scales:
        st.info("Choose at least one scale.")
        return
    scales = tuple(sorted(scales))
    with st.spinner("Sampling at each guidance scale..."):
        result = guidance_grid(name, device_key, class_names.index(label_name), scales, n,
                               st.session_state.diff_guide_seed, 50)
    tiles = result["x"].flatten(0, 1)
    row_labels = [f"s = {s:g}" for s in scales]
    tile_labels = [""] * len(tiles)
    st.image(render.labelled_grid(tiles, tile_labels, n, tile_px=56, row_labels=row_labels), output_format="PNG")
    if result["hits"] is not None:
        figure = make_subplots(rows=1, cols=2, subplot_titles=(f"recognised as {label_name} by an RBF SVC on real data",
                                                               "diversity: mean pixel distance between samples"))
        xs = [f"{s:g}" for s in scales]
        figure.add_trace(go.Bar(x=xs, y=result["hits"] * 100, name="recognised %"), row=1, col=1)
        figure.add_trace(go.Bar(x=xs, y=result["spread"], name="spread"), row=1, col=2)
        figure.update_xaxes(title_text="guidance scale s", type="category")
        figure.update_layout(height=280, showlegend=False, margin=dict(l=10, r=10, t=40, b=10))
        st.plotly_chart(figure, width="stretch", key="diff_guidance_chart")


# --- Inpainting ------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def inpaint(model_name: str, device: str, index: int, mask_kind: str, n: int, seed: int, steps: int) -> dict:
    """n fills of the hidden part of test image `index` (DDIM with eta = 1, known pixels replaced every step)."""
    model = loaded_model(model_name)
    x = dataset.x_test[index:index + 1].repeat(n, 1, 1, 1).to(core.device)
    known = known_mask(tuple(x.shape), mask_kind).float().to(core.device)
    x_T = D.initial_noise(model, n, make_generator(seed, core.device))
    run = core.run(model_name, lambda m: D.record(D.reverse(
        m.model, x_T, sampler="ddim", steps=steps, eta=1.0, known=x, mask=known,
        generator=make_generator(seed + 1, core.device)), every=max(1, steps // 8)))
    fills = run["x"][-1]
    return {"fills": fills, "known": known.cpu(), "x0_path": run["x0"][:, 0], "t": run["t"],
            "predicted": metrics.predict_classes(dataset, fills)}


def inpaint_section():
    st.markdown("Hide part of an image and let the model fill it in. At every reverse step the known pixels are "
                "replaced by the forward process applied to the real image, so only the hidden region is generated "
                "(the replacement method of RePaint). Different noise gives different, equally plausible fills.")
    c = st.columns(4)
    c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 7, key="diff_inp_index")
    mask_kind = c[1].selectbox("Hide", MASKS, index=MASKS.index("top half"), key="diff_inp_mask")
    n = c[2].select_slider("Fills", [4, 8], 8, key="diff_inp_n")
    c[3].number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_inp_seed")
    index = st.session_state.diff_inp_index
    with st.spinner("Inpainting..."):
        result = inpaint(name, device_key, index, mask_kind, n, st.session_state.diff_inp_seed, 100)
    x = dataset.x_test[index:index + 1]
    shown = torch.cat([x, torch.where(result["known"][:1].bool(), x, torch.full_like(x, -0.35)), result["fills"]])
    labels = ["original", "known part"]
    if result["predicted"] is not None:
        labels += [f"as {class_names[p]}" for p in result["predicted"]]  # (PIL's default font has no arrows)
    else:
        labels += [f"fill {k + 1}" for k in range(n)]
    st.image(render.labelled_grid(shown, labels, len(shown), tile_px=80), output_format="PNG",
             caption=f"test #{index} ({class_names[int(dataset.y_test[index])] if class_names else ''}), "
                     f"{mask_kind} hidden; under each fill, what a classifier trained on real data calls it")
    st.image(render.labelled_grid(result["x0_path"], [f"t={t}" if t >= 0 else "done" for t in result["t"]],
                                  len(result["t"]), tile_px=56),
             caption="The first fill's predicted x_0 along the run", output_format="PNG")


# --- 2-D -------------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def toy_runs(model_name: str, device: str, seed: int) -> dict:
    """For a 2-D model: forward chains from data, and reverse trajectories of DDPM and DDIM (eta 0) from the
    same starting noise; all in data coordinates."""
    loaded = core.load(model_name)
    model = loaded.model
    data = get_dataset(loaded.card["dataset"]["name"])
    x0 = data.x_test[:400].to(core.device)
    chain = D.forward_chain(model, D.to_model_space(model, x0), make_generator(seed, core.device),
                            every=max(1, model.config.timesteps // 100))
    x_T = D.initial_noise(model, 400, make_generator(seed + 1, core.device))
    paths = {}
    for sampler, steps in (("ddpm", None), ("ddim", 50)):
        run = core.run(model_name, lambda m: D.record(D.reverse(
            m.model, x_T, sampler=sampler, steps=steps, generator=make_generator(seed + 2, core.device)),
            every=1 if sampler == "ddim" else 10))
        paths[sampler] = D.from_model_space(model, run["x"]).numpy()
    return {"chain": D.from_model_space(model, chain).cpu().numpy(), "paths": paths,
            "data": data.x_train[:2000].numpy()}


@st.cache_data(show_spinner=False, max_entries=64)
def toy_field(model_name: str, device: str, t: int, extent: float) -> dict:
    model = loaded_model(model_name)
    ticks = torch.linspace(-extent, extent, 21)
    grid = torch.stack(torch.meshgrid(ticks, ticks, indexing="xy"), -1).reshape(-1, 2)
    x0, _ = core.run(model_name, lambda m: D.denoising_field(m.model, D.to_model_space(model, grid.to(core.device)), t))
    return {"grid": grid.numpy(), "x0": D.from_model_space(model, x0).cpu().numpy()}


def toy_section():
    if not point_models:
        st.info("No 2-D diffusion checkpoints found. Train one: `python -m gen_core.train ddpm --dataset moons`.")
        return
    toys = list(point_models)
    toy = st.selectbox("2-D model", toys, format_func=lambda n: describe_checkpoint(point_models[n]),
                       index=toys.index("ddpm-moons") if "ddpm-moons" in toys else 0, key="diff_toy_model")
    toy_card = point_models[toy]["card"]
    steps_total = toy_card["config"]["timesteps"]
    st.markdown("A small MLP learned to denoise points of a 2-D toy set. Forward: data dissolves into a Gaussian. "
                "Field: at time t, each arrow points from a noisy point to the model's guess of the clean point "
                "(the score direction). Reverse: the same starting noise, walked back by the stochastic DDPM sampler "
                "and the deterministic DDIM sampler.")
    with st.spinner("Running the forward and both reverse processes..."):
        runs = toy_runs(toy, device_key, global_seed())
    data = runs["data"]
    extent = float(np.abs(data).max() * 1.3)
    left, right = st.columns([2, 1])
    with left:
        toy_timestep_view(toy, runs, steps_total, extent)
    with right:
        st.plotly_chart(toy_paths_figure(runs, extent), width="stretch", key="diff_toy_paths")


def square_axes(figure: go.Figure, extent: float, cols: int) -> go.Figure:
    for col in range(1, cols + 1):
        figure.update_xaxes(range=[-extent, extent], row=1, col=col)
        figure.update_yaxes(range=[-extent, extent], scaleanchor=f"x{'' if col == 1 else col}", row=1, col=col)
    return figure


@st.fragment
def toy_timestep_view(toy: str, runs: dict, steps_total: int, extent: float) -> None:
    """The two panels that follow t, in a fragment and as a picture: moving t redraws only them, in about a tenth
    of a second (as two Plotly panels with 2,000 points each it took the browser over a second). The reverse
    paths beside them do not depend on t."""
    data, chain = runs["data"], runs["chain"]
    t = st.slider("Timestep t", 0, steps_total - 1, steps_total // 10, key="diff_toy_t")
    k = min(len(chain) - 1, round(t / max(1, steps_total // 100)))
    box = (-extent, extent, -extent, extent)
    forward = Panel(box, 330, f"forward: points at t = {t}")
    forward.dots(data, DATA_GREY)
    for p in range(12):
        forward.lines(chain[:k + 1, p, 0], chain[:k + 1, p, 1], (120, 160, 210))
    forward.dots(chain[k], (31, 119, 180), radius=2)
    field = toy_field(toy, device_key, t, extent)
    grid, pull = field["grid"], field["x0"] - field["grid"]
    longest = max(1e-9, float(np.linalg.norm(pull, axis=1).max()))
    denoise = Panel(box, 330, f"denoising field at t = {t}: x_t to the guess of x_0")
    denoise.dots(data, DATA_GREY)
    denoise.lines(*arrows(grid, pull / longest, 0.9 * 2 * extent / 20), (214, 39, 40))
    denoise.dots(grid, (214, 39, 40), radius=1)
    st.image(side_by_side([forward, denoise], gap=12), output_format="PNG",
             caption=f"left: data (grey) and 400 points noised to t = {t}, 12 of them traced; right: at each grid "
                     f"point x_t, an arrow towards the model's guess of the clean point (lengths scaled to fit)")


def toy_paths_figure(runs: dict, extent: float) -> go.Figure:
    """Reverse paths from the same noise: DDPM's jitter (fresh noise every step) against DDIM's smooth
    deterministic curves."""
    data = runs["data"]
    figure = make_subplots(rows=1, cols=1, subplot_titles=("reverse paths: DDPM grey, DDIM colour",))
    figure.add_trace(go.Scatter(x=data[:, 0], y=data[:, 1], mode="markers", marker=dict(size=2, color="#eeeeee"),
                                showlegend=False))
    for sampler, colour, count in (("ddpm", "rgba(120,120,120,0.45)", 4), ("ddim", None, 10)):
        path = runs["paths"][sampler]
        for p in range(count):
            figure.add_trace(go.Scatter(x=path[:, p, 0], y=path[:, p, 1], mode="lines", showlegend=False,
                                        line=dict(width=1, color=colour) if colour else dict(width=2)))
        figure.add_trace(go.Scatter(x=path[-1, :, 0], y=path[-1, :, 1], mode="markers", name=f"{sampler} samples",
                                    marker=dict(size=4, color="#555555" if sampler == "ddpm" else "#2ca02c")))
    return square_axes(figure, extent, 1).update_layout(height=430, margin=dict(l=10, r=10, t=40, b=10),
                                                        legend=dict(orientation="h", y=-0.1))


# --- Latent diffusion ------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def latent_samples(model_name: str, device: str, n: int, seed: int) -> dict:
    loaded = core.load(model_name)
    model = loaded.model
    data = get_dataset(loaded.card["dataset"]["name"])
    x_T = D.initial_noise(model.diffusion, n, make_generator(seed, core.device))

    def run_all(m):
        run = D.record(D.reverse(m.model.diffusion, x_T, sampler="ddim", steps=50), every=5)
        decoded = torch.stack([m.model.decode(z.to(core.device)).cpu() for z in run["x0"]])
        # the prior's codes come from another stream: the same numbers as x_T would hide the difference
        prior = m.model.vae.decode(torch.randn(n, m.model.config.latent_dim,
                                               generator=torch.Generator().manual_seed(seed + 7919)).to(core.device)).cpu()
        return run, decoded, prior

    run, decoded, prior = core.run(model_name, run_all)
    return {"t": run["t"], "decoded": decoded, "samples": decoded[-1], "prior": prior,
            "ours": metrics.class_metrics(data, decoded[-1]), "theirs": metrics.class_metrics(data, prior),
            "class_names": data.class_names}


def latent_vae_beta(vae_name: str):
    from ui.loaders import checkpoint_listing
    cards = {c["name"]: c["card"] for c in checkpoint_listing()}
    return cards.get(vae_name, {}).get("config", {}).get("beta", "?")


def latent_section():
    if not latent_models:
        st.info("No latent diffusion checkpoints found. Train one: "
                "`python -m gen_core.train ldm --dataset digits --set vae=vae-digits`.")
        return
    choice = st.selectbox("Latent diffusion model", list(latent_models),
                          format_func=lambda n: describe_checkpoint(latent_models[n]), key="diff_ldm_model")
    ldm_card = latent_models[choice]["card"]
    vae_name = ldm_card["config"]["vae"]
    st.markdown(f"Diffusion in the {ldm_card['config']['latent_dim']}-dimensional latent space of `{vae_name}` "
                "(Rombach et al., 2022): a small MLP denoises codes, and the VAE's decoder turns the final code into "
                "an image, so each step costs a fraction of a pixel-space step. Latent diffusion pairs best with an "
                "autoencoder trained with a *weak* KL term (here beta = "
                f"{latent_vae_beta(vae_name)}): it reconstructs sharply, but its codes do not fill N(0, I), so "
                "sampling the VAE the usual way, z ~ N(0, I), lands between the codes of real images and decodes to "
                "blends. The diffusion model learns where the codes really lie.")
    c = st.columns(2)
    n = c[0].select_slider("Samples", [16, 32, 64], 32, key="diff_ldm_n")
    c[1].number_input("Seed", 0, 2**31 - 1, global_seed(), key="diff_ldm_seed")
    with st.spinner("Sampling in latent space..."):
        result = latent_samples(choice, device_key, n, st.session_state.diff_ldm_seed)
    left, right = st.columns(2)
    with left:
        st.markdown("**Latent diffusion** (DDIM, 50 steps, decoded)")
        show_grid(result["samples"], nrow=8)
    with right:
        st.markdown("**The VAE's prior**, z ~ N(0, I), decoded")
        show_grid(result["prior"], nrow=8)
    if result["ours"]:
        st.plotly_chart(render.bar_figure(result["class_names"], {
            f"latent diffusion ({result['ours']['classes_covered']} classes covered)": result["ours"]["class_histogram"],
            f"VAE prior ({result['theirs']['classes_covered']} covered)": result["theirs"]["class_histogram"]},
            "What a classifier trained on real data calls the samples", "share of samples"),
            width="stretch", key="diff_ldm_chart")
        card_metrics = ldm_card.get("metrics", {})
        if "class_kl_from_uniform" in card_metrics:
            st.caption(f"On 500 samples at training time, KL(class histogram || uniform): latent diffusion "
                       f"{card_metrics['class_kl_from_uniform']:.3f} nats, the VAE's prior "
                       f"{card_metrics.get('vae_prior_class_kl_from_uniform', float('nan')):.3f} (0 = every digit "
                       "equally often). With 32 samples the bars above are noisy; the grids show the difference in "
                       "quality: blends on the right.")
    path = result["decoded"][:, :8].transpose(0, 1).flatten(0, 1)
    st.image(render.labelled_grid(path, [""] * len(path), len(result["t"]), tile_px=48,
                                  row_labels=None),
             caption="Decoded predictions of the clean code along the run (one row per sample, left to right: "
                     f"t = {', '.join(str(t) if t >= 0 else 'end' for t in result['t'])})", output_format="PNG")


with forward_tab:
    if forward_tab.open:
        forward_section()
with reverse_tab:
    if reverse_tab.open:
        reverse_section()
with samplers_tab:
    if samplers_tab.open:
        samplers_section()
with guidance_tab:
    if guidance_tab.open:
        guidance_section()
with inpaint_tab:
    if inpaint_tab.open:
        inpaint_section()
with toy_tab:
    if toy_tab.open:
        toy_section()
with latent_tab:
    if latent_tab.open:
        latent_section()
