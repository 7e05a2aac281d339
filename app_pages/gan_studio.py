"""GAN Studio: sample trained GANs, steer them (seed, truncation, class, interpolation), and look inside
(the discriminator's opinion, nearest training neighbours, training history with a progressive GAN's growth,
mode collapse); and CycleGAN's unpaired translation, with what it learned checked against the known answer."""
import numpy as np
import streamlit as st
import torch

from gen_core import latent, metrics, render
from gen_core.checkpoints import load_snapshots
from gen_core.device import make_generator
from gen_core.errors import GenLabError
from gen_core.models import cyclegan, gan
from ui.charts import histogram_picture
from ui.gan_tabs import attention, style_mixing, truncation
from ui.images import labelled_grid, show_grid
from ui.loaders import checkpoints_of, core_on, describe_checkpoint, get_core, get_dataset, pick_checkpoint
from ui.notice import notice
from ui.player import player_html
from ui.settings import MAX_SEED, clamp_state, global_seed, label_px, next_seed, reproduce, seed_input
from ui.text import plain

GAN_FAMILIES = ("gan", "dcgan", "cgan")
VARIANT_FAMILIES = ("biggan", "sagan", "stylegan")  # listed after the others: each has a tab of its own too
CLASS_ROWS = "one row per class"
RANDOM_CLASSES = "random classes"

st.title("GAN Studio")
st.markdown(r"A generator $G$ turns noise $z \sim \mathcal{N}(0, I)$ into data; a discriminator $D$ scores how real "
            r"it looks. Pick a trained model, steer its samples, and look at what each network learned.")

by_name, name, loaded = pick_checkpoint(
    GAN_FAMILIES + VARIANT_FAMILIES, "gan_model", last=VARIANT_FAMILIES, resets=("gan_count", "gan_classes", "gan_inspect", "gan_from", "gan_to", "gan_snapshot"),
    train_hint="python -m gen_core.train dcgan --dataset digits")
models = list(by_name.values())
core = get_core()
card, config = loaded.card, loaded.card["config"]
dataset = get_dataset(card["dataset"]["name"])
class_names = card["dataset"].get("class_names", [])
conditional = bool(config.get("num_classes"))
st.caption(f"{card['family']} · {config['arch']} networks · {config['loss']} objective · z of size {config['z_dim']} · "
           f"{card['steps']} steps on {plain(dataset.name)}" + reproduce(card.get('command', '?')))

# Stateful tabs: only the open tab runs, and ?gan_tab=Interpolation links to one.
samples_tab, interpolation_tab, history_tab, collapse_tab, cycle_tab, mixing_tab, attention_tab, truncation_tab = \
    st.tabs(["Samples", "Interpolation", "Training history", "Mode collapse", "CycleGAN", "Style mixing",
             "Self-attention", "Truncation trade-off"], key="gan_tab", on_change="rerun", bind="query-params")


def batch_labels(count: int, classes: str):
    """The labels the grid asks for: None (the model draws them), one row per class, or one class."""
    if not conditional or classes == RANDOM_CLASSES:
        return None
    if classes == CLASS_ROWS:
        return torch.arange(len(class_names)).repeat_interleave(count // len(class_names))
    return torch.full((count,), class_names.index(classes), dtype=torch.long)


def current_batch() -> dict:
    """The grid the Samples tab shows, recomputed from its widgets (deterministic in the seed)."""
    count = st.session_state.get("gan_count", 80 if conditional else 32)
    classes = st.session_state.get("gan_classes", CLASS_ROWS)
    labels = batch_labels(count, classes)
    n = len(labels) if labels is not None else count
    return core.run(name, lambda m: gan.sample_batch(
        m.model, n, generator=make_generator(st.session_state.get("gan_seed", global_seed()), core.device),
        truncation=st.session_state.get("gan_truncation", 1.0), labels=labels))


@st.cache_data(show_spinner=False)
def held_out_distances(dataset_name: str) -> torch.Tensor:
    """How far each held-out real image lies from its nearest training image: the yardstick for samples
    (1000 x 6000 distances for shapes, so computed once)."""
    data = get_dataset(dataset_name)
    return metrics.nearest_neighbours(data.x_test, data.x_train)[1]


@st.fragment
def samples_section():
    controls = st.columns([3, 2, 4, 4])  # the first holds the seed and 'New samples' (cut off when narrower)
    seed_input("Seed", "gan_seed", global_seed(), where=controls[0])
    controls[0].button("New samples", icon=":material/casino:", on_click=next_seed, args=("gan_seed",))
    controls[1].select_slider("Samples", [40, 80, 120] if conditional else [16, 32, 64], key="gan_count", bind="query-params",
                              value=80 if conditional else 32)
    controls[2].slider("Truncation ψ", 0.0, 1.5, 1.0, 0.05, key="gan_truncation", bind="query-params",
                       help="Samples use ψ·z: ψ < 1 pulls z towards the mean, trading diversity for quality; "
                            "ψ = 0 gives one 'average' image.")
    if conditional:
        controls[3].selectbox("Classes", [CLASS_ROWS, RANDOM_CLASSES, *class_names], key="gan_classes", bind="query-params")
    batch = current_batch()
    x, d = batch["x"], batch["d"]
    classes = st.session_state.get("gan_classes", CLASS_ROWS)
    by_class_rows = conditional and classes == CLASS_ROWS
    per_row = len(x) // len(class_names) if by_class_rows else 8
    tile_labels = [f"#{i} D={float(d[i]):.2f}" for i in range(len(x))]
    what = ("one row per class" if by_class_rows else f"all class {classes}" if conditional and classes != RANDOM_CLASSES
            else "random classes" if conditional else "unconditional")
    psi = st.session_state["gan_truncation"]
    st.image(labelled_grid(x, tile_labels, per_row, row_labels=list(class_names) if by_class_rows else None),
             caption=f"{len(x)} samples, seed {st.session_state['gan_seed']}, ψ = {psi:.2f}, {what}",
             output_format="PNG")
    st.caption(f"D = the discriminator's probability that the image is real. Mean over the grid: "
               f"**{float(d.mean()):.2f}**. ψ = {psi:.2f}: pixel spread across the grid "
               f"{float(x.std(0).mean()):.3f} (lower = less diverse).")

    st.subheader("New, or memorised?")
    index, distance = metrics.nearest_neighbours(x, dataset.x_train)
    baseline = held_out_distances(dataset.name)
    left, right = st.columns([3, 2])
    with left:
        clamp_state("gan_inspect", 0, len(x) - 1, default=0)
        pick = st.number_input("Inspect sample #", min_value=0, max_value=len(x) - 1, key="gan_inspect", bind="query-params")
        close, far = metrics.k_nearest(x[pick], dataset.x_train, 4)
        sheet = torch.cat([x[pick:pick + 1], dataset.x_train[close]])
        st.image(labelled_grid(sheet, [f"sample #{pick}"] + [f"d={float(v):.2f}" for v in far], 5, tile_px=96),
                 caption=f"sample #{pick} (D={float(d[pick]):.2f}) and its nearest training images: "
                         + ", ".join(f"#{int(i)} ({class_names[int(dataset.y_train[i])]})" for i in close),
                 output_format="PNG")
        st.markdown(f"Held-out real images lie a median **{float(baseline.median()):.2f}** from their nearest "
                    f"training image; these samples lie **{float(distance.median()):.2f}**. A sample much closer "
                    f"than real held-out data is a near-copy: the overfitting a small dataset invites.")
    with right:
        # drawn near the column's width, so its labels stay readable (larger in projector mode)
        st.image(histogram_picture({"samples": distance.numpy(), "held-out real": baseline.numpy()},
                                   "Distance to the nearest training image", "Euclidean distance in pixel space",
                                   font_px=label_px() + 2, size=(440, 330)), output_format="PNG")


@st.fragment
def interpolation_section():
    batch = current_batch()
    n = len(batch["x"])
    cols = st.columns(4)
    clamp_state("gan_from", 0, n - 1, default=0)
    clamp_state("gan_to", 0, n - 1, default=n - 1)
    a = cols[0].number_input("From sample #", min_value=0, max_value=n - 1, key="gan_from", bind="query-params")
    b = cols[1].number_input("To sample #", min_value=0, max_value=n - 1, key="gan_to", bind="query-params")
    path = cols[2].radio("Path", latent.PATHS, horizontal=True, key="gan_path", bind="query-params",
                         help="Spherical paths keep |z| at the size of typical samples; linear ones pass nearer "
                              "the origin, where few training samples' codes lie.")
    frames = cols[3].slider("Frames", 4, 32, 12, key="gan_frames", bind="query-params")
    z = latent.interpolate(batch["z"][a], batch["z"][b], frames, path)
    labels = batch["labels"]
    label_from, label_to = (None, None) if labels is None else (int(labels[a]), int(labels[b]))
    x, d = core.run(name, lambda m: gan.generate_path(m.model, z, label_from, label_to))
    show_grid(x, nrow=frames, caption=f"{path} path from #{a} to #{b}" +
              (f", class {class_names[label_from]} -> {class_names[label_to]}" if labels is not None else ""))
    scale = render.auto_scale(x.shape[-2], 160)
    pictures = [render.to_pil(im, scale) for im in x]
    gif = render.gif_bytes(pictures + pictures[-2:0:-1], duration_ms=90)  # there and back
    left, right = st.columns([1, 2])
    left.image(gif, caption="animation")
    left.download_button("Download GIF", gif, file_name=f"{name}-{a}-to-{b}.gif", mime="image/gif")
    right.plotly_chart(render.line_figure(list(range(frames)), {"D(x)": d.tolist()}, "The discriminator along "
                       "the path", "D(x)", window=1).update_xaxes(title="frame"), key="gan_path_d")


@st.fragment
def history_section():
    history = card.get("history", {})
    if not history.get("step"):
        st.info("This checkpoint has no training history.")
        return
    steps = history["step"]
    snapshots = load_snapshots(loaded.path)
    at = st.select_slider("Training step", list(snapshots), value=list(snapshots)[-1], key="gan_snapshot", bind="query-params") \
        if snapshots else steps[-1]
    left, right = st.columns(2)
    left.plotly_chart(render.line_figure(steps, {"D loss": history["loss_d"], "G loss": history["loss_g"]},
                                         "Losses", marker=at), key="gan_losses")
    right.plotly_chart(render.line_figure(steps, {"D(x)": history["d_real"], "D(G(z))": history["d_fake"]},
                                          "What D says", "mean probability of 'real'", marker=at,
                                          reference=(0.5, "equilibrium: D = 1/2")), key="gan_probs")
    if snapshots:
        show_grid(snapshots[at], nrow=16, caption=f"the same 16 noise vectors decoded at step {at}")
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


@st.cache_data(show_spinner=False, max_entries=16)
def class_shares(checkpoint: str, device: str, seed: int) -> dict:
    """1000 samples of a model judged by the reference classifier: shares per class and the summary numbers."""
    shared = core_on(device)
    x = shared.sample(checkpoint, 1000, seed=seed)
    return metrics.class_metrics(get_dataset(shared.load(checkpoint).card["dataset"]["name"]), x)


@st.fragment
def collapse_section():
    st.markdown("**Mode collapse**: the generator finds a few outputs that fool D and produces little else, "
                "ignoring most of the data distribution. An independent RBF SVC, fitted on the real training "
                "images, names the class of 1000 samples from each model.")
    judged = [m for m in models if m["card"]["dataset"].get("name") in metrics.CLASSIFIABLE]
    if len(judged) < 1:
        st.info("Mode collapse is judged on digits or shapes models; none is installed.")
        return
    names = [m["name"] for m in judged]
    healthy_default = next((n for n in names if n == "gan-digits"), names[0])
    collapsed_default = next((n for n in names if "collapse" in n), names[-1])
    pick = st.columns(2)
    chosen = [pick[0].selectbox("Left", names, names.index(healthy_default), key="gan_left", bind="query-params"),
              pick[1].selectbox("Right", names, names.index(collapsed_default), key="gan_right", bind="query-params")]
    shares = {}
    for column, checkpoint in zip(st.columns(2), chosen):
        result = class_shares(checkpoint, str(core.device), global_seed())
        shares[checkpoint] = result
        with column:
            show_grid(core.sample(checkpoint, 32, seed=global_seed()), nrow=8, caption=checkpoint, stretch=True)
            m = st.columns(2)
            m[0].metric("Classes covered", f"{result['classes_covered']} / {len(result['class_histogram'])}")
            m[1].metric("KL(classes ‖ uniform)", f"{result['class_kl_from_uniform']:.2f} nats")
    first_card = by_name[chosen[0]]["card"]["dataset"]
    st.plotly_chart(render.bar_figure(first_card.get("class_names", []),
                                      {k: v["class_histogram"] for k, v in shares.items()},
                                      "Class histogram of 1000 samples", "share of samples"), key="gan_collapse_bars")
    st.caption("A class is covered when it gets at least half its fair share (1/2K). KL from uniform is 0 when every "
               "class is equally common and log K (2.30 for digits) when all samples are one class.")


@st.cache_data(show_spinner=False, max_entries=8)
def snapshot_player(path, weights_sha256: str) -> str:
    """All of a checkpoint's training snapshots as one in-browser player (ui/player.py): the frames go to the
    browser once, so playing, stepping and scrubbing need no server round trip."""
    snapshots = load_snapshots(path)
    frames = [render.grid(x, nrow=16, scale=3) for x in snapshots.values()]
    return player_html(frames, [f"the same 16 noise vectors decoded at step {step}" for step in snapshots], start=0,
                       label="Training, snapshot by snapshot")


CYCLE_IMAGES = 12
CYCLE_ROWS = ["a (domain A)", "G(a)", "T(a), the answer", "F(G(a))"]


def show_translations(found: dict, read, truth: list[str], names, caption: str) -> None:
    """Rows a / G(a) / T(a) / F(G(a)) with the classifier's reading of T^-1(G(a)) under each G(a)."""
    # (Pillow's built-in font has no check marks)
    read_labels = [f"reads {names[int(r)]}" if names[int(r)] == t else f"{names[int(r)]}, not {t}"
                   for r, t in zip(read, truth)] if read is not None else [""] * len(truth)
    sheet = labelled_grid(torch.cat([found["a"], found["g"], found["target"], found["cycle"]]),
                                 truth + read_labels + [""] * (2 * len(truth)), len(truth), tile_px=56,
                                 row_labels=CYCLE_ROWS)
    st.image(sheet, output_format="PNG", caption=caption + " Under G(a), the reference classifier's reading of "
             "T^-1(G(a)): \"3, not 1\" where a 1 came out as a 3.")


def translation_metrics(metrics_: dict, read, truth: list[str], names, label: str = "") -> None:
    m = st.columns(4)
    m[0].metric(f"Cycle error{label}", f"{metrics_['cycle_error']:.3f}",
                help="|F(G(a)) − a|, the mean over the test set on a [-1, 1] scale: what training made small.")
    m[1].metric(f"Distance to T(a){label}", f"{metrics_['target_error']:.3f}",
                help="|G(a) − T(a)|, the mean over the test set: how far from the answer, which training never saw.")
    if "class_kept" in metrics_ and read is not None:
        m[2].metric(f"Digit kept (test set){label}", f"{metrics_['class_kept']:.0%}",
                    help="Share of test images whose T^-1(G(a)) the reference classifier reads as a's digit.")
        m[3].metric(f"Digit kept (shown){label}", f"{np.mean([names[int(r)] == t for r, t in zip(read, truth)]):.0%}")


@st.fragment
def cyclegan_section():
    st.markdown(r"**CycleGAN** (Zhu et al., 2017) translates between two domains learned from *unpaired* examples. "
                r"Here domain A is the digits and domain B the digits under a transformation $T$ (inverted, or "
                r"rotated a quarter turn); training sees images of A and images of B, never a pair $(a, T(a))$. "
                r"$G: A \to B$ and $F: B \to A$ each try to fool a discriminator of their target domain, and the "
                r"cycle loss $\lambda\,(\mathbb{E}|F(G(a))-a|_1 + \mathbb{E}|G(F(b))-b|_1)$ makes them undo each "
                r"other. Since $T$ is known here, we can check which mapping training found.")
    translators = checkpoints_of("cyclegan")
    if not translators:
        st.info("No CycleGAN checkpoint is installed. Train one: "
                "`python -m gen_core.train cyclegan --dataset digits --epochs 150`.")
        return
    by_translator = {m["name"]: m for m in translators}
    left, right = st.columns([3, 1])
    choice = left.selectbox("Translator", list(by_translator), key="cyc_model", bind="query-params",
                            format_func=lambda n: describe_checkpoint(by_translator[n]))
    seed = seed_input("Test images: seed", "cyc_seed", 0, where=right)
    right.button("Other images", key="cyc_next", on_click=next_seed, args=("cyc_seed",))
    card = by_translator[choice]["card"]
    c = card["config"]
    data = get_dataset(card["dataset"]["name"])
    index = torch.randperm(len(data.x_test), generator=torch.Generator().manual_seed(int(seed)))[:CYCLE_IMAGES]
    names = data.class_names
    truth = [names[int(k)] for k in data.y_test[index]]
    found = core.run(choice, lambda m: cyclegan.translate(m.model, data.x_test[index]))
    read = cyclegan.classes_read(c["transform"], data, found["g"])
    show_translations(found, read, truth, names, f"{choice}: {c['arch']} translators, T = "
                      f"{cyclegan.TRANSFORMS[c['transform']]}, lambda = {c['cycle_weight']:g}.")
    translation_metrics(card["metrics"], read, truth, names)
    rows = [{"translator": m["name"], "networks": m["card"]["config"]["arch"],
             "T": m["card"]["config"]["transform"], "lambda": m["card"]["config"]["cycle_weight"],
             "cycle error": round(m["card"]["metrics"].get("cycle_error", float("nan")), 3),
             "distance to T(a)": round(m["card"]["metrics"].get("target_error", float("nan")), 3),
             "digit kept": f"{m['card']['metrics']['class_kept']:.0%}" if "class_kept" in m["card"]["metrics"] else "?"}
            for m in translators]
    st.dataframe(rows, hide_index=True)
    st.caption("Every translator here undoes itself (small cycle error) and fools its discriminators, yet they learned "
               "different maps. Many bijections from A onto B pass both tests: turning each digit into an inverted "
               "*other* digit does. Convolutions, whose small filters treat every place alike, find the pixel-wise "
               "T; fully connected networks, to which neighbouring pixels mean nothing, often swap digits on the "
               "way. The rotation, which moves every pixel far, is harder still. Unpaired training is ill-posed, and "
               "the architecture chooses the answer.")
    train_your_translator(data, index, truth)


def train_your_translator(data, index, truth: list[str]) -> None:
    """Train a translator live on the digits with the user's settings; it stays in this session only."""
    st.subheader("Train your own translator")
    st.markdown("Pick the networks, T and the cycle weight, and train on the digits here (a conv translator takes "
                "about 2 s per 100 iterations on a CPU). Try λ = 0: nothing ties G to F any more.")
    c = st.columns(5)
    arch = c[0].radio("Networks", list(cyclegan.ARCHS), horizontal=True, key="cyc_train_arch")
    transform = c[1].selectbox("T", list(cyclegan.TRANSFORMS), format_func=cyclegan.TRANSFORMS.get,
                               key="cyc_train_t")
    weight = c[2].number_input("Cycle weight λ", min_value=0.0, max_value=100.0, value=10.0, step=1.0,
                               key="cyc_train_lambda")
    epochs = c[3].slider("Epochs (12 iterations each)", 5, 200, 60, 5, key="cyc_train_epochs")
    train_seed = c[4].number_input("Seed", min_value=0, max_value=MAX_SEED, value=0, step=1, key="cyc_train_seed")
    if st.button("Train", key="cyc_train", type="primary"):
        from gen_core.train import train

        config = cyclegan.config_for(data, arch=arch, transform=transform, cycle_weight=float(weight))
        bar = st.progress(0.0, text="training...")

        def show_progress(step: int, total: int, _metrics: dict) -> None:
            if step % 20 == 0 or step == total:
                bar.progress(step / total, text=f"iteration {step} of {total}")

        try:
            result = train("cyclegan", data, config=config, epochs=int(epochs), seed=int(train_seed),
                           device=core.device, num_snapshots=0, callback=show_progress)
        except GenLabError as error:  # diverged, or too large for this machine: say so, keep the last translator
            bar.empty()
            st.error(plain(error))
            return
        bar.empty()
        st.session_state["cyc_trained"] = {"model": result.model.eval(), "metrics": result.metrics,
                                           "history": result.history, "seconds": result.seconds,
                                           "label": f"{arch} translators, T = {cyclegan.TRANSFORMS[transform]}, "
                                                    f"lambda = {weight:g}, {result.steps} iterations, seed "
                                                    f"{train_seed}"}
    trained = st.session_state.get("cyc_trained")
    if trained is None:
        return
    model = trained["model"]
    found = cyclegan.translate(model, data.x_test[index])
    read = cyclegan.classes_read(model.config.transform, data, found["g"])
    show_translations(found, read, truth, data.class_names,
                      f"your translator: {trained['label']} (trained in {trained['seconds']:.1f} s).")
    translation_metrics(trained["metrics"], read, truth, data.class_names, label=", yours")
    history = trained["history"]
    st.plotly_chart(render.line_figure(history["step"], {"cycle loss": history["cycle"],
                                                         "adversarial loss": history["adversarial"]},
                                       "Your translator's training", "loss"), key="cyc_train_history")


for label, tab, section in (("Samples", samples_tab, samples_section),
                           ("Interpolation", interpolation_tab, interpolation_section),
                           ("Training history", history_tab, history_section),
                           ("Mode collapse", collapse_tab, collapse_section), ("CycleGAN", cycle_tab, cyclegan_section),
                           ("Style mixing", mixing_tab, lambda: style_mixing.show(str(core.device))),
                           ("Self-attention", attention_tab, lambda: attention.show(str(core.device))),
                           ("Truncation trade-off", truncation_tab, lambda: truncation.show(str(core.device)))):
    if tab.open:
        with tab:
            notice("gan", label)
            section()
