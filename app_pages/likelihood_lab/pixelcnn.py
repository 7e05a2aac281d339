"""PixelCNN tab: a digit drawn pixel by pixel with each pixel's probability, the receptive field and the blind
spot of a plain masked stack, and completing the bottom half of a test image."""
from __future__ import annotations

import streamlit as st
import torch
from PIL import Image, ImageDraw

from app_pages.likelihood_lab import diagrams
from gen_core.labs import likelihood as lab
from gen_core.render import side_by_side
from ui.images import labelled_grid
from app_pages.likelihood_lab.common import big, framed, mark_cells
from ui.loaders import choose_checkpoint, core_on, get_core, get_dataset
from ui.player import player_html
from ui.settings import global_seed
from ui.widget_keys import LIKELIHOOD

SIDE = 224
MAX_FRAMES = 200  # frames sent to the browser's player; larger images show every k-th pixel drawn


def probability_bar(p: float, width: int = SIDE, height: int = 34) -> Image.Image:
    """p(ink) as a filled bar with its value: what the model believed just before drawing the pixel."""
    bar = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(bar)
    draw.rectangle([0, 4, width - 1, height - 14], outline=(120, 120, 120))
    draw.rectangle([0, 4, int((width - 1) * p), height - 14], fill=(31, 119, 180))
    draw.text((2, height - 12), f"p(ink) = {p:.2f}", fill=(0, 0, 0))
    return bar


@st.cache_data(show_spinner=False, max_entries=8)
def drawing_player(name: str, device: str, seed: int) -> str:
    run = lab.pixelcnn_drawing(core_on(device), name, seed)
    frames, captions = [], []
    height, width = run["frames"].shape[1:]
    probabilities = torch.full((height, width), 0.5)
    every = max(1, -(-len(run["frames"]) // MAX_FRAMES))  # a 28x28 image: every 4th pixel, the last always
    for k, (frame, (row, col), p) in enumerate(zip(run["frames"], run["positions"], run["p_ink"])):
        probabilities[row, col] = float(p)
        if k % every and k != len(run["frames"]) - 1:
            continue
        image = mark_cells(big(frame, SIDE), [(row, col)], (height, width), width=3)
        belief = mark_cells(big(probabilities, SIDE), [(row, col)], (height, width), width=3)
        column = Image.new("RGB", (SIDE, SIDE + 34), (255, 255, 255))
        column.paste(belief, (0, 0))
        column.paste(probability_bar(float(p)), (0, SIDE))
        frames.append(side_by_side([framed(image), framed(column)]))
        drawn = "ink" if frame[row, col] > 0.5 else "blank"
        captions.append(f"pixel {k + 1} of {len(run['frames'])}, row {row} col {col}: p(ink) = {p:.2f}, drew {drawn}")
    return player_html(frames, captions, fps=5, label="PixelCNN drawing")


@st.cache_data(show_spinner=False, max_entries=32)
def completions(name: str, device: str, index: int, seed: int) -> torch.Tensor:
    """Eight completions of test image `index`'s bottom half (a seeded draw: 8 x H/2 x W sequential pixels, ~0.13 s
    for an 8x8 digit, which every visitor's first view of this tab repeated)."""
    core = core_on(device)
    dataset = get_dataset(core.load(name).card["dataset"]["name"])
    x = torch.where(dataset.x_test[index] > 0, 1.0, -1.0)
    return lab.complete_bottom(core, name, x, 8, seed)


def field_picture(field: torch.Tensor, row: int, col: int, show_blind_spot: bool) -> Image.Image:
    """The field in blue over a grid; the current pixel outlined red; pixels before it (raster order) that the
    field misses, the blind spot, filled red."""
    height, width = field.shape
    picture = big(torch.ones(height, width), SIDE)
    picture = mark_cells(picture, [(r, c) for r in range(height) for c in range(width) if field[r, c]],
                         (height, width), fill=(31, 119, 180, 170))
    if show_blind_spot:
        past = [(r, c) for r in range(height) for c in range(width) if r * width + c < row * width + col]
        picture = mark_cells(picture, [rc for rc in past if not field[rc]], (height, width), fill=(214, 39, 40, 170))
    grid = [(r, c) for r in range(height) for c in range(width)]
    picture = mark_cells(picture, grid, (height, width), colour=(200, 200, 200), width=1)
    return mark_cells(picture, [(row, col)], (height, width), colour=(0, 0, 0), width=3)


@st.fragment
def show() -> None:
    st.markdown("PixelCNN writes an image as a sequence: p(x) = prod_i p(x_i | x_1..x_i-1), one pixel at a time "
                "in raster order, so its log-likelihood is exact, a sum of one log-probability per pixel. Masked "
                "convolutions keep each pixel from seeing itself or anything after it.")
    name = choose_checkpoint("pixelcnn", LIKELIHOOD.PIX_MODEL, "Model", "python -m gen_core.train pixelcnn --dataset digits-binary "
                "--epochs 20")
    if name is None:
        return
    core = get_core()
    device = str(core.device)
    card = core.load(name).card
    dataset = get_dataset(card["dataset"]["name"])
    _, height, width = dataset.shape

    st.subheader("Drawing, pixel by pixel")
    seed = st.number_input("Seed", 0, 2**31 - 1, global_seed(), key=LIKELIHOOD.PIX_SEED, bind="query-params")
    with st.spinner("Drawing..."):
        html = drawing_player(name, device, int(seed))
    st.caption("Left: the image so far (grey: not drawn yet), the red box the pixel being drawn. Right: the "
               "probability of ink the model gave each pixel when its turn came (black 0, white 1, like ink), and the bar "
               "for the current one. A coin with that probability decides the pixel.")
    st.iframe(html, height="content")

    st.subheader("What a pixel can see")
    c = st.columns(2)
    row = c[0].slider("Row", 0, height - 1, height // 2, key=LIKELIHOOD.PIX_ROW, bind="query-params")
    col = c[1].slider("Column", 0, width - 1, width // 2, key=LIKELIHOOD.PIX_COL, bind="query-params")
    fields = lab.receptive_fields(core, name, int(row), int(col))
    left, right = st.columns(2)
    left.image(field_picture(fields["model"], row, col, True), output_format="PNG",
               caption=f"{name}: blue pixels reach pixel ({row}, {col}) (found by gradients); its first masked "
                       f"layer is {card['config']['first_kernel']} wide, which covers the whole past here")
    right.image(field_picture(fields["plain"], row, col, True), output_format="PNG",
                caption=f"A plain stack of 3x3 masked convolutions as deep: red pixels come earlier in raster "
                        f"order yet never reach ({row}, {col}), the blind spot above and to the right")
    missed = int(((~fields["plain"]).view(-1)[:row * width + col]).sum())
    st.caption(f"The plain stack misses {missed} of the {row * width + col} earlier pixels: those beyond the reach "
               f"of {card['config']['num_layers'] + 1} layers, and the blind spot above and to the right, which no "
               f"depth fills. The gated PixelCNN's vertical and horizontal stacks (van den Oord et al., 2016) remove "
               f"the blind spot.")

    st.subheader("Completing the bottom half")
    c = st.columns(2)
    index = c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 7, key="ll_pix_index", bind="query-params")
    seed2 = c[1].number_input("Completion seed", 0, 2**31 - 1, global_seed(), key="ll_pix_cseed", bind="query-params")
    x = dataset.x_test[int(index)]
    x = torch.where(x > 0, 1.0, -1.0)
    with st.spinner("Completing..."):
        completed = completions(name, device, int(index), int(seed2))
    hidden = x.clone()
    hidden[:, height // 2:] = 0.0
    shown = torch.cat([x[None], hidden[None], completed])
    st.image(labelled_grid(shown, ["original", "top half given"] + [f"completion {k + 1}" for k in range(8)], 10,
                           tile_px=80, outline=True), output_format="PNG")
    st.caption("Each completion draws the bottom rows given the top ones: the model's answer to 'what could this "
               "be?', several answers where the top half is ambiguous.")
    diagrams.autoregressive(device, name, dataset)
