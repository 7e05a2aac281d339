"""CycleGAN tab: unpaired translation between the digits and the digits under a known transformation T, each
translator checked against the answer T(a) it never saw, and translators of your own trained on the job queue."""
import shlex

import numpy as np
import streamlit as st
import torch

from app_pages.gan_studio.studio import Studio
from gen_core import checkpoints, render
from gen_core import jobs as J
from gen_core.device import make_generator
from gen_core.errors import GenLabError
from gen_core.models import cyclegan
from ui.charts import legible
from ui.images import labelled_grid
from ui.jobs_panel import job_queue, refresh_listing_for, show_job, submit, trained
from ui.loaders import checkpoint_listing, checkpoints_of, describe_checkpoint, get_dataset
from ui.settings import MAX_SEED, next_seed, seed_input
from ui.text import plain
from ui.widget_keys import GAN


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
def show(studio: Studio) -> None:
    core = studio.core
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
    choice = left.selectbox("Translator", list(by_translator), key=GAN.CYCLE_MODEL, bind="query-params")
    left.caption(plain(describe_checkpoint(by_translator[choice])))
    seed = seed_input("Test images: seed", "cyc_seed", 0, where=right)
    right.button("Other images", key="cyc_next", on_click=next_seed, args=("cyc_seed",))
    card = by_translator[choice]["card"]
    c = card["config"]
    data = get_dataset(card["dataset"]["name"])
    index = torch.randperm(len(data.x_test), generator=make_generator(int(seed)))[:CYCLE_IMAGES]
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
    train_your_translator(core, data, index, truth)


def translator_name(arch: str, transform: str, weight: float, epochs: int, seed: int) -> str:
    """A checkpoint name for a visitor's translator that no listed checkpoint has yet."""
    base = f"cyclegan-yours-{arch}-{transform}-lambda{weight:g}-{epochs}ep-seed{seed}"
    taken = {c["name"] for c in checkpoint_listing()}
    return next(n for n in [base] + [f"{base}-{i}" for i in range(2, 10_000)] if n not in taken)


def train_your_translator(core, data, index, truth: list[str]) -> None:
    """Queue a translator's training with the visitor's settings (the deployment's job queue, as the Train page
    uses: never inside this script run); once saved it is a checkpoint like any other, listed in the picker above,
    and shown here beside the answer."""
    st.subheader("Train your own translator")
    st.markdown("Pick the networks, T and the cycle weight, and train on the digits (a conv translator takes about "
                "2 s per 100 iterations on a CPU). Training runs on the job queue, one job at a time; your "
                "translator is then saved and listed in the picker above. Try λ = 0: nothing ties G to F any more.")
    c = st.columns(5)
    arch = c[0].radio("Networks", list(cyclegan.ARCHS), horizontal=True, key="cyc_train_arch")
    transform = c[1].selectbox("T", list(cyclegan.TRANSFORMS), format_func=cyclegan.TRANSFORMS.get,
                               key="cyc_train_t")
    weight = c[2].number_input("Cycle weight λ", min_value=0.0, max_value=100.0, value=10.0, step=1.0,
                               key="cyc_train_lambda")
    epochs = c[3].slider("Epochs (12 iterations each)", 5, 200, 60, 5, key="cyc_train_epochs")
    train_seed = c[4].number_input("Seed", min_value=0, max_value=MAX_SEED, value=0, step=1, key="cyc_train_seed")
    if st.button("Train", key="cyc_train", type="primary"):
        name = translator_name(arch, transform, float(weight), int(epochs), int(train_seed))
        out = checkpoints.user_dir() / name
        overrides = {"arch": arch, "transform": transform, "cycle_weight": float(weight)}
        command = shlex.join(["python", "-m", "gen_core.train", "cyclegan", "--dataset", data.name, "--epochs",
                              str(int(epochs)), "--seed", str(int(train_seed))]
                             + [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")] + ["--out", str(out)])
        spec = dict(family="cyclegan", dataset=data.name, epochs=int(epochs), seed=int(train_seed),
                    device=str(core.device), out=str(out), overrides=overrides, snapshots=0, command=command)
        job = submit(f"cyclegan ({arch}, T = {transform}, λ = {weight:g}), {int(epochs)} epochs → {name}", "train",
                     spec)
        if job is not None:
            st.session_state["cyc_job"] = job.id
    job = job_queue().get(st.session_state["cyc_job"]) if "cyc_job" in st.session_state else None
    if job is not None:
        your_translator(core, job.id, data, index, truth)


@st.fragment(run_every=2.0)
def follow_training(job_id: int) -> None:
    """The visitor's queued training (progress, loss, Cancel), redrawn every 2 s; the page reruns once it is done."""
    queue = job_queue()
    job = queue.get(job_id)
    if job is not None and job.status == J.DONE:
        st.rerun()
    if job is not None:
        show_job(queue, job)


def your_translator(core, job_id: int, data, index, truth: list[str]) -> None:
    """The visitor's training while it runs (polled), then what the translator learned (drawn once per run, not
    every 2 s)."""
    job = job_queue().get(job_id)
    if job is None:
        return
    if job.status != J.DONE:
        follow_training(job_id)
        return
    refresh_listing_for(job)  # the picker above lists it from the next run on
    path, _ = trained(job)
    try:
        loaded = core.load(str(path))
    except GenLabError as error:
        st.error(plain(error))
        return
    model_card = loaded.card
    found = core.run(str(path), lambda m: cyclegan.translate(m.model, data.x_test[index]))
    read = cyclegan.classes_read(model_card["config"]["transform"], data, found["g"])
    c = model_card["config"]
    show_translations(found, read, truth, data.class_names,
                      f"your translator: {c['arch']} translators, T = {cyclegan.TRANSFORMS[c['transform']]}, "
                      f"lambda = {c['cycle_weight']:g}, {model_card['steps']} iterations, seed {model_card['seed']} "
                      f"(trained in {model_card['train_seconds']:.1f} s, saved as {path.name}).")
    translation_metrics(model_card["metrics"], read, truth, data.class_names, label=", yours")
    history = model_card.get("history", {})
    if history.get("step"):
        st.plotly_chart(legible(render.line_figure(history["step"], {"cycle loss": history["cycle"],
                                                             "adversarial loss": history["adversarial"]},
                                           "Your translator's training", "loss")), key="cyc_train_history")
