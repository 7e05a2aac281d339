"""Any-order tab: autoregressive diffusion (the order-agnostic ARDM of Hoogeboom et al., 2022) drawing a digit in a
random order beside PixelCNN's raster order, the order itself, what the order costs in likelihood, and drawing
several pixels per network call."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch
from PIL import Image, ImageDraw

from app_pages.likelihood_lab.common import big, framed, mark_cells
from gen_core.labs import likelihood as lab
from gen_core.render import side_by_side
from ui.images import labelled_grid
from ui.lab_cache import Data, lab_call
from ui.loaders import checkpoints_of, choose_checkpoint, core_on, get_core, get_dataset
from ui.player import player_html
from ui.settings import global_seed
from ui.widget_keys import LIKELIHOOD

SIDE = 224
EARLY, LATE = (255, 237, 160), (8, 48, 107)  # the order's colours: first pixels pale yellow, last ones dark blue
TRAIN_HINT = "python -m gen_core.train ardm --dataset digits-binary --epochs 100"


def order_picture(steps: torch.Tensor, upto: int, side: int = SIDE, numbers: bool = True) -> Image.Image:
    """Each pixel drawn by step `upto` coloured by the step it was drawn at (pale first, dark last), with the step
    number written in; the others white."""
    height, width = steps.shape
    total = height * width
    cell = side // width
    picture = Image.new("RGB", (cell * width, cell * height), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    for row in range(height):
        for col in range(width):
            k = int(steps[row, col])
            box = [col * cell, row * cell, (col + 1) * cell - 1, (row + 1) * cell - 1]
            if k <= upto:
                f = k / max(total - 1, 1)
                colour = tuple(int(a + (b - a) * f) for a, b in zip(EARLY, LATE))
                draw.rectangle(box, fill=colour)
                if numbers and cell >= 20:
                    draw.text((box[0] + 3, box[1] + 3), str(k + 1), fill=(0, 0, 0) if f < 0.5 else (255, 255, 255))
            draw.rectangle(box, outline=(200, 200, 200))
    return picture


@st.cache_data(show_spinner=False, max_entries=8)
def drawing_player(name: str, judge: str | None, device: str, seed: int) -> str:
    """The ARDM's drawing, its order filling in, and PixelCNN's raster drawing of its own sample, step by step."""
    core = core_on(device)
    run = lab.ardm_drawing(core, name, seed)
    raster = lab.pixelcnn_drawing(core, judge, seed) if judge else None
    height, width = run["frames"].shape[1:]
    frames, captions = [], []
    for k, (frame, (row, col), p) in enumerate(zip(run["frames"], run["positions"], run["p_ink"])):
        columns = [mark_cells(big(frame, SIDE), [(row, col)], (height, width), width=3),
                   order_picture(run["steps"], k)]
        caption = f"step {k + 1} of {len(run['frames'])}: the ARDM drew row {row} col {col} (p(ink) = {p:.2f})"
        if raster is not None and k < len(raster["frames"]):
            r_row, r_col = raster["positions"][k]
            columns.append(mark_cells(big(raster["frames"][k], SIDE), [(r_row, r_col)], (height, width), width=3))
            caption += f"; PixelCNN drew row {r_row} col {r_col}"
        frames.append(side_by_side([framed(c) for c in columns]))
        captions.append(caption)
    return player_html(frames, captions, fps=6, label="Any order against raster order")


def pixelcnn_judge(dataset_name: str) -> str | None:
    """A PixelCNN trained on the same data, to draw in raster order beside the ARDM and to judge its samples."""
    judges = [c["name"] for c in checkpoints_of("pixelcnn") if c["card"]["dataset"]["name"] == dataset_name]
    return judges[0] if judges else None


@st.fragment
def show() -> None:
    st.markdown("**Autoregressive diffusion** (Hoogeboom et al., 2022) is an autoregressive model that may write "
                "the pixels in *any* order. For one order σ it is exact, log p(x | σ) = Σ_t log p(x_σ(t) | "
                "x_σ(<t)); averaged over random orders it bounds the likelihood, log p(x) ≥ E_σ log p(x | σ). Its "
                "forward process masks one more pixel per step until none is left (absorbing diffusion); generating "
                "unmasks them one by one. One network sees the known pixels and predicts every unknown one at once: "
                "no masked convolutions, no fixed order, any pixels can be given in advance.")
    name = choose_checkpoint("ardm", LIKELIHOOD.ARDM_MODEL, "Model", TRAIN_HINT)
    if name is None:
        return
    core = get_core()
    device = str(core.device)
    card = core.load(name).card
    dataset = get_dataset(card["dataset"]["name"])
    judge = pixelcnn_judge(dataset.name)

    st.subheader("Drawing in a random order")
    seed = st.number_input("Seed", 0, 2**31 - 1, global_seed(), key=LIKELIHOOD.ARDM_SEED, bind="query-params")
    with st.spinner("Drawing..."):
        html = drawing_player(name, judge, device, int(seed))
    st.caption("Left: the ARDM's image so far (grey: not drawn yet; red box: the pixel of this step). Middle: its "
               "order, each pixel coloured and numbered by the step it was drawn at, pale first, dark last. "
               + (f"Right: PixelCNN ({judge}) drawing its own digit from the same seed, always row by row, left to "
                  "right." if judge else "Train a PixelCNN on the same data to see its raster order beside it."))
    st.iframe(html, height="content")

    if judge is None:
        st.info(f"The comparisons below need a PixelCNN on {dataset.name}: `python -m gen_core.train pixelcnn "
                f"--dataset {dataset.name} --epochs 20`.")
        return
    st.subheader("What the order costs")
    with st.spinner("Scoring the test images in both orders..."):
        bounds = lab_call(lab.order_bounds, device, name, judge, Data(dataset.name))
    frame = pd.DataFrame([
        {"model": name, "order": "a random order per image", "kind": "bound on -log p(x)",
         "nats per image": bounds["random"]},
        {"model": name, "order": "raster (PixelCNN's)", "kind": "-log p(x | raster order)",
         "nats per image": bounds["raster"]},
        {"model": judge, "order": "raster, built in", "kind": "exact", "nats per image": bounds["pixelcnn"]}])
    frame["bits per pixel"] = frame["nats per image"] / (bounds["dims"] * np.log(2))
    st.dataframe(frame, hide_index=True, column_config={
        "nats per image": st.column_config.NumberColumn(format="%.2f"),
        "bits per pixel": st.column_config.NumberColumn(format="%.3f")})
    gap = bounds["random"] - bounds["pixelcnn"]
    st.caption(f"The {bounds['images']} test images of {dataset.name}, lower is better. The ARDM's bound is "
               f"{abs(gap):.2f} nats per image {'above' if gap > 0 else 'below'} PixelCNN's exact figure: what "
               f"learning every one of the orders at once, with one network, "
               f"{'costs' if gap > 0 else 'gains'} here against a model built for one order. In exchange it "
               f"generates in any order and fills in missing pixels of any shape. The same ARDM in raster order "
               f"scores {bounds['raster']:.2f}: one of the orders it averages over.")

    st.subheader("Fewer network calls: several pixels at once")
    st.markdown("The network predicts every unknown pixel at each step, so one call can draw several of them. "
                "They are then drawn independently of each other, given the rest, and agree less: PixelCNN, which "
                "did not make them, judges how digit-like they are (its -log p, lower is more likely).")
    with st.spinner("Drawing..."):
        runs = lab_call(lab.ardm_parallel_samples, device, name, judge)
    columns = st.columns(len(runs))
    dims = bounds["dims"]
    for column, k in zip(columns, runs):
        nats = runs[k]["nats"]
        column.image(labelled_grid(runs[k]["images"], [""] * len(runs[k]["images"]), 4, tile_px=56, outline=True),
                     output_format="PNG",
                     caption=f"{k} pixel{'s' if k > 1 else ''} per call: {-(-dims // k)} calls; PixelCNN's -log p "
                             f"of {len(nats)} samples {nats.mean():.1f} ± {nats.std() / np.sqrt(len(nats)):.1f} "
                             f"nats (mean ± standard error; the real test digits: {bounds['pixelcnn']:.1f})")
