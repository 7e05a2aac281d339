"""Tensors to pictures: PIL images, grids, GIFs. No streamlit, no plotting state.

Every function takes images in [-1, 1] as (N, C, H, W), the registry's range, and upscales small images with
nearest-neighbour so an 8x8 digit stays crisp pixels rather than a blur.
"""
from __future__ import annotations

import io
import math

import numpy as np
import torch
from PIL import Image


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8."""
    x = ((x.detach().float().cpu() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def to_pil(image: torch.Tensor, scale: int = 1) -> Image.Image:
    """One (C, H, W) image in [-1, 1] as a PIL image, each pixel drawn as scale x scale."""
    return array_to_pil(to_uint8(image.unsqueeze(0))[0], scale)


def array_to_pil(array: np.ndarray, scale: int = 1) -> Image.Image:
    """One (H, W, C) uint8 image (to_uint8's) as a PIL image, each pixel drawn as scale x scale."""
    pil = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.Resampling.NEAREST)
    return pil


MIN_TILE_PX = 84  # a grid's tiles are at least this many pixels a side: 28x28 clothes x3, 8x8 digits x11


def auto_scale(height: int, target: int | None = None) -> int:
    """An integer upscale that makes an image about `target` pixels tall, or (by default) at least MIN_TILE_PX:
    whole pixels, drawn by nearest neighbour, so every tile stays crisp."""
    if target is None:
        return max(1, math.ceil(MIN_TILE_PX / height))
    return max(1, round(target / height))


def grid(x: torch.Tensor, nrow: int | None = None, scale: int | None = None, pad: int = 1,
         pad_value: float = -1.0) -> Image.Image:
    """N images in [-1, 1] as one PIL grid of `nrow` per row (default: square), each upscaled by `scale`
    (default: at least MIN_TILE_PX a side) and separated by `pad` pixels of `pad_value` (black)."""
    x = x.detach().float().cpu()
    n, c, h, w = x.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    scale = scale or auto_scale(h)
    rows = math.ceil(n / nrow)
    canvas = torch.full((c, rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value)
    for k in range(n):
        r, col = divmod(k, nrow)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        canvas[:, top:top + h, left:left + w] = x[k]
    return to_pil(canvas, scale=scale)


def png_bytes(image: Image.Image) -> bytes:
    """PNG at zlib level 1: on a labelled grid of 80 tiles 18 ms instead of 31 ms at the default level 6, for 10%
    more bytes (130 against 118 KB): the server encodes while a class waits, the network is a classroom's."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def gif_bytes(frames: list[Image.Image], duration_ms: int = 80, loop: int = 0) -> bytes:
    """An animated GIF of equally sized frames, played forwards (loop=0: forever)."""
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms,
                   loop=loop, disposal=2)
    return buffer.getvalue()


def scatter_image(points: np.ndarray, size: int = 512, radius: float = 1.5,
                  extent: tuple[float, float, float, float] | None = None) -> Image.Image:
    """(N, 2) points drawn as dots on a white square, with a margin; for CLI output, not the app's plots."""
    from PIL import ImageDraw

    points = np.asarray(points, dtype=np.float64)
    if extent is None:
        lo, hi = points.min(0), points.max(0)
        span = max(float((hi - lo).max()), 1e-6) * 1.1
        centre = (lo + hi) / 2
        extent = (centre[0] - span / 2, centre[0] + span / 2, centre[1] - span / 2, centre[1] + span / 2)
    x0, x1, y0, y1 = extent
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    px = (points[:, 0] - x0) / (x1 - x0) * (size - 1)
    py = (1 - (points[:, 1] - y0) / (y1 - y0)) * (size - 1)  # y grows upwards in data, downwards on screen
    for u, v in zip(px, py):
        draw.ellipse((u - radius, v - radius, u + radius, v + radius), fill=(31, 119, 180))
    return image


def smooth(values, window: int) -> np.ndarray:
    """Trailing moving average, so noisy per-step curves stay readable (the first points average fewer)."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < 2:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    starts = np.arange(1, len(values) + 1) - counts
    return (cumulative[np.arange(1, len(values) + 1)] - cumulative[starts]) / counts


def line_figure(steps, series: dict[str, list[float]], title: str, y_title: str, x_title: str = "training step",
                marker: float | None = None, window: int | None = None, reference: tuple[float, str] | None = None,
                faint_steps: tuple = ()):
    """A plotly line chart of several per-step series (smoothed), with an optional vertical marker at a step, faint
    dotted lines at `faint_steps` (where snapshots were taken, say) and a dotted horizontal reference line (value,
    label)."""
    import plotly.graph_objects as go

    window = window or max(1, len(steps) // 100)
    # every `stride`-th point of the smoothed curve (and the last): at most ~1,000 a trace, which the smoothing
    # window (1% of the run) makes look the same, and NumPy arrays, which plotly takes without checking each number:
    # a 6,900-step history as Python lists took ~0.1 s a chart to build, on every rerun of every visitor's page
    steps = np.asarray(steps)
    stride = max(1, len(steps) // 1000)
    kept = np.unique(np.r_[np.arange(0, len(steps), stride), len(steps) - 1]) if len(steps) else np.arange(0)
    figure = go.Figure()
    for name, values in series.items():
        figure.add_trace(go.Scatter(x=steps[kept], y=smooth(values, window)[kept], name=name, mode="lines"))
    if marker is not None:
        figure.add_vline(x=marker, line_dash="dash", line_color="grey")
    if len(faint_steps):  # one layout update: add_vline per line costs ~5 ms each
        figure.update_layout(shapes=[dict(type="line", xref="x", yref="paper", x0=float(s), x1=float(s), y0=0, y1=1,
                                          line=dict(dash="dot", color="lightgrey", width=1)) for s in faint_steps])
    if reference is not None:
        # named in the legend, not by an annotation: inside the plot the label sat on the curves around it
        figure.add_hline(y=reference[0], line_dash="dot", line_color="grey")  # grey: seen on light and dark themes
        figure.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=reference[1],
                                    line=dict(dash="dot", color="grey")))
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=300,
                         margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return figure


def accuracy_figure(sizes, rows: dict[str, list[tuple[float, float]]], title: str, x_title: str,
                    colours: dict[str, str], names: dict[str, str] | None = None, dotted: tuple[str, ...] = ()):
    """Accuracy against a count on a log axis, one line per row of (mean, standard deviation) with error bars: the
    uses tabs' curves (synthetic training data, the linear probe)."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for key, values in rows.items():
        figure.add_trace(go.Scatter(x=list(sizes), y=[m for m, _ in values], mode="lines+markers",
                                    name=(names or {}).get(key, key), line_color=colours.get(key),
                                    line_dash="dot" if key in dotted else None,
                                    error_y=dict(type="data", array=[s for _, s in values], visible=True)))
    figure.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=40), title=title)
    figure.update_xaxes(title=x_title, type="log", tickvals=list(sizes))
    figure.update_yaxes(title="accuracy", tickformat=".0%")
    return figure


def bar_figure(categories, groups: dict[str, list[float]], title: str, y_title: str, x_title: str = "class"):
    """Grouped bars: one bar per category for each group (e.g. class shares of two models), both axes titled."""
    import plotly.graph_objects as go

    figure = go.Figure([go.Bar(x=[str(c) for c in categories], y=values, name=name) for name, values in groups.items()])
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, barmode="group", height=300,
                         xaxis_type="category",
                         margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2))
    return figure


def histogram_figure(groups: dict[str, np.ndarray], title: str, x_title: str):
    """Overlaid, normalised histograms of several samples of one quantity."""
    import plotly.graph_objects as go

    figure = go.Figure([go.Histogram(x=np.asarray(v), name=name, opacity=0.6, histnorm="probability density",
                                     nbinsx=30) for name, v in groups.items()])
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title="probability density", barmode="overlay",
                         height=300,
                         margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return figure


def tile_size(side: int, asked: int) -> int:
    """The side in px of a labelled grid's tile for pictures `side` px square, near the `asked` one. Pictures of
    16 px or more (real ones: Fashion-MNIST, folders) get a whole multiple of their side and at least MIN_TILE_PX,
    as `grid` draws them: every pixel the same square, large enough for a projector (84 px for 28x28, never 72:
    2.57x draws uneven pixels). The 8x8 digits and shapes keep the size asked for (rows of ten or more fit)."""
    if side < 16:
        return asked
    return side * max(auto_scale(side), round(asked / side))


def labelled_grid(x: torch.Tensor, tile_labels: list[str], nrow: int, tile_px: int = 72,
                  row_labels: list[str] | None = None, font_px: int = 12, outline: bool = False) -> Image.Image:
    """Images in [-1, 1] as one white sheet: `nrow` tiles per row, each tile_px square (nearest-neighbour, so
    pixels stay crisp) with its label written under it, and an optional label at the left of each row.
    `outline` frames each tile in grey: binary images with white ink at their edges otherwise melt into the sheet."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=font_px)
    tile_px = tile_size(x.shape[-2], tile_px)
    n = len(x)
    rows = math.ceil(n / nrow)
    gap, text_h = 6, font_px + 6
    left = 0
    if row_labels:
        left = max(int(font.getlength(label)) for label in row_labels) + 2 * gap
    # grey images make a grey sheet ("L": a third of the bytes to encode and send); colour ones an RGB sheet
    mode = "L" if x.shape[1] == 1 else "RGB"
    grey = (lambda v: v) if mode == "L" else (lambda v: (v, v, v))
    sheet = Image.new(mode, (left + nrow * (tile_px + gap) + gap, rows * (tile_px + text_h + gap) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    h = x.shape[-2]
    scale = max(1, tile_px // h)
    arrays = to_uint8(x)  # every tile at once: one conversion, not one per tile
    for k in range(n):
        r, c = divmod(k, nrow)
        tile = array_to_pil(arrays[k], scale).convert(mode).resize((tile_px, tile_px), Image.Resampling.NEAREST)
        top, x0 = gap + r * (tile_px + text_h + gap), left + gap + c * (tile_px + gap)
        sheet.paste(tile, (x0, top))
        if outline:
            draw.rectangle([x0 - 2, top - 2, x0 + tile_px + 1, top + tile_px + 1], outline=grey(140), width=2)
        label = tile_labels[k] if k < len(tile_labels) else ""
        width = font.getlength(label)
        draw.text((x0 + (tile_px - width) / 2, top + tile_px + 2), label, fill=grey(60), font=font)
    for r, label in enumerate(row_labels or []):
        draw.text((gap, gap + r * (tile_px + text_h + gap) + tile_px / 2 - font_px / 2), label, fill="black",
                  font=font)
    return sheet


def side_by_side(images: list[Image.Image], gap: int = 8, background: int = 255) -> Image.Image:
    """Images placed left to right with a gap, top-aligned (x_t beside the predicted x_0, say)."""
    width = sum(i.width for i in images) + gap * (len(images) - 1)
    height = max(i.height for i in images)
    mode = "L" if all(i.mode == "L" for i in images) else "RGB"
    canvas = Image.new(mode, (width, height), background if mode == "L" else (background,) * 3)  # 255: white, not red
    left = 0
    for image in images:
        canvas.paste(image, (left, 0))
        left += image.width + gap
    return canvas


def attention_overlay(image: torch.Tensor, weights: torch.Tensor, pixel: tuple[int, int], scale: int = 8,
                      marker=(0, 200, 255)) -> Image.Image:
    """A grey image (1, H, W) in [-1, 1] with an attention map (s, s) laid over it in orange (opacity = weight /
    the map's largest weight, stretched to H x W by nearest neighbour) and the chosen pixel framed in `marker`."""
    from PIL import ImageDraw

    grey = (image.detach().float().cpu()[0] + 1) / 2                                    # (H, W) in [0, 1]
    h, w = grey.shape
    heat = weights.detach().float().cpu()
    heat = (heat / heat.max().clamp_min(1e-12))[None, None]
    heat = torch.nn.functional.interpolate(heat, size=(h, w), mode="nearest")[0, 0]
    colour = torch.tensor([1.0, 0.45, 0.0])
    rgb = grey[..., None] * (1 - 0.8 * heat[..., None]) + 0.8 * heat[..., None] * colour
    picture = Image.fromarray((rgb.clamp(0, 1) * 255).round().to(torch.uint8).numpy(), "RGB")
    picture = picture.resize((w * scale, h * scale), Image.Resampling.NEAREST)
    row, col = pixel
    ImageDraw.Draw(picture).rectangle([col * scale - 1, row * scale - 1, (col + 1) * scale, (row + 1) * scale],
                                      outline=marker, width=2)
    return picture


# --- sprite sheets: a whole test set as one picture, for the map's hover thumbnails ------------------------------

SPRITE_COLUMNS = 100
SPRITE_PAGE = 1000  # images per sheet: 10 sheets of ~0.4 MB for Fashion-MNIST's test set, fetched as hovered
SPRITE_SETS = ("fashion-mnist", "digits", "shapes", "mnist", "digits-binary", "shapes-binary")  # served by name


def sprite_png(images: torch.Tensor, columns: int = SPRITE_COLUMNS) -> bytes:
    """N grey images (N, 1, H, W) in [-1, 1] as one PNG, image k at column k % columns, row k // columns, each at
    its own size with no padding (the browser scales a tile up, pixelated). 1,000 Fashion-MNIST images: a 2800 x 280
    grey PNG of ~0.4 MB."""
    x = images.detach().float().cpu()
    n, _, h, w = x.shape
    rows = math.ceil(n / columns)
    canvas = torch.full((rows * h, columns * w), -1.0)
    for k in range(n):
        r, c = divmod(k, columns)
        canvas[r * h:(r + 1) * h, c * w:(c + 1) * w] = x[k, 0]
    pixels = ((canvas.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
