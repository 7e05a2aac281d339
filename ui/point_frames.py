"""Live frames of the 2-D Playground, drawn with Pillow.

While the models train, the page redraws several times a second. Streamlit gives every Plotly chart an id hashed
from its spec, so a chart whose data changed is a new chart: the browser unmounts the old one and the picture
blinks out at every frame. An image swaps in place, and drawing one here takes a few milliseconds. When the
models are paused the page shows the interactive Plotly figures of `ui.point_figures` instead.
"""
from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont


from gen_core.labs import playground_views as views
from ui.point_figures import COLORS, arrows, colour, joined, loss_colours, loss_keys, sample_title
from ui.settings import label_px


def rgb(key: str) -> tuple[int, int, int]:
    """The model's colour of ui.point_figures as an RGB triple."""
    return ImageColor.getrgb(colour(key))


RGB = {family: rgb(family) for family in COLORS}
DATA_GREY = (170, 170, 170)
# Anchors of matplotlib's viridis (low -> high) and a light-to-dark blue for energies, interpolated linearly.
VIRIDIS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], float)
ENERGY = np.array([(8, 48, 107), (66, 146, 198), (198, 219, 239), (247, 251, 255)], float)


@functools.lru_cache(maxsize=8)
def font(size: int = 13):
    """Pillow's bundled font at `size` px, loaded once (loading it decodes the font file: 0.1 ms a title)."""
    return ImageFont.load_default(size=size)


def fitted(text: str, width: int, size: int) -> str:
    """`text`, cut with an ellipsis where it would not fit in `width` pixels (titles of side-by-side panels ran
    into each other)."""
    face = font(size)
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def colour_map(values: np.ndarray, anchors: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values (H, W) to RGB (H, W, 3) uint8 along the anchor colours."""
    t = np.clip((np.asarray(values, float) - low) / max(high - low, 1e-12), 0, 1) * (len(anchors) - 1)
    positions = np.arange(len(anchors))
    rgb = np.stack([np.interp(t, positions, anchors[:, c]) for c in range(3)], -1)
    return rgb.astype(np.uint8)


def clip_segments(a: np.ndarray, b: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Segments a -> b (N, 2) cut to the square [low, high]^2 (Liang-Barsky: the part of a + s (b - a), s in
    [0, 1], inside all four edges), dropping those wholly outside. A sample diverging to 1e6 would otherwise be
    rasterised pixel by pixel up to a million pixels away."""
    d = b - a
    s0, s1 = np.zeros(len(a)), np.ones(len(a))
    for axis in (0, 1):
        for p, q in ((-d[:, axis], a[:, axis] - low), (d[:, axis], high - a[:, axis])):
            with np.errstate(divide="ignore", invalid="ignore"):
                r = q / p
            entering, leaving = p < 0, p > 0
            s0 = np.where(entering, np.maximum(s0, r), s0)
            s1 = np.where(leaving, np.minimum(s1, r), s1)
            s1 = np.where((p == 0) & (q < 0), -1.0, s1)  # parallel to this edge and outside it
    keep = s0 <= s1
    a, d, s0, s1 = a[keep], d[keep], s0[keep, None], s1[keep, None]
    return a + s0 * d, a + s1 * d


class Panel:
    """A square plot of the plane `extent` (x0, x1, y0, y1) with a title strip on top. Drawing happens on the
    plot alone, so whatever leaves the extent is clipped at its edge.

    Dots and lines are rasterised with NumPy into the plot's pixel array, all points of a call at once: the
    Playground redraws these panels ten times a second while it trains, and Pillow's draw calls (one per
    polyline, with a Python tuple per point) took most of a frame's drawing time."""

    def __init__(self, extent, size: int = 250, title: str = "", font_px: int | None = None):
        self.extent, self.size, self.title = extent, size, title
        self.font_px = font_px or label_px()  # 13 px, or 22 in projector mode
        self.pixels = np.full((size, size, 3), 255, np.uint8)  # rows top to bottom, as on screen

    @property
    def plot(self) -> Image.Image:
        return Image.fromarray(self.pixels)

    @property
    def image(self) -> Image.Image:
        title_px = self.font_px + 9
        framed = Image.new("RGB", (self.size, self.size + title_px), "white")
        framed.paste(self.plot, (0, title_px))
        draw = ImageDraw.Draw(framed)
        if self.title:
            draw.text((self.size / 2, title_px / 2), fitted(self.title, self.size - 6, self.font_px),
                      fill=(40, 40, 40), font=font(self.font_px), anchor="mm")
        draw.rectangle((0, title_px, self.size - 1, self.size + title_px - 1), outline=(225, 225, 225))
        return framed

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        x0, x1, y0, y1 = self.extent
        xy = np.asarray(xy, float).reshape(-1, 2)
        u = (xy[:, 0] - x0) / (x1 - x0) * (self.size - 1)
        v = (1 - (xy[:, 1] - y0) / (y1 - y0)) * (self.size - 1)  # y grows up in data, down on screen
        return np.stack([u, v], 1)

    def heat(self, values: np.ndarray, anchors: np.ndarray, low: float, high: float):
        """A field sampled on a grid over the extent, rows along y (first row = lowest y)."""
        self.picture(colour_map(np.asarray(values), anchors, low, high))

    def picture(self, rgb: np.ndarray):
        """An (R, R, 3) uint8 picture of the extent as the background, rows along y (first row = lowest y)."""
        background = Image.fromarray(np.ascontiguousarray(rgb[::-1])).resize((self.size, self.size), Image.BILINEAR)
        self.pixels[:] = np.asarray(background.convert("RGB"))

    def paint(self, u: np.ndarray, v: np.ndarray, colour, brush: int = 1):
        """Pixels (u, v) (rounded to whole pixels) and the brush x brush square below-right of each, in `colour`;
        whatever falls outside the plot is left out."""
        u, v = np.rint(u).astype(np.int64), np.rint(v).astype(np.int64)
        for du in range(brush):
            for dv in range(brush):
                uu, vv = u + du, v + dv
                inside = (uu >= 0) & (uu < self.size) & (vv >= 0) & (vv < self.size)
                self.pixels[vv[inside], uu[inside]] = colour

    def dots(self, xy: np.ndarray, colour, radius: int = 1):
        """Square dots of side 2 * radius around each point."""
        px = self.to_px(xy)
        px = px[np.isfinite(px).all(1)]
        px = px[(np.abs(px) < 4 * self.size).all(1)]  # far outside: not drawn, and no overflow when rounding
        self.paint(px[:, 0] - radius + 1, px[:, 1] - radius + 1, colour, brush=2 * radius)

    def lines(self, xs: np.ndarray, ys: np.ndarray, colour, width: int = 1):
        """Polylines given as coordinates with NaN gaps between them (as `ui.point_figures.joined` makes), one
        pixel per step along the longer axis of each segment (as a Bresenham line)."""
        px = self.to_px(np.stack([np.asarray(xs, float), np.asarray(ys, float)], 1))
        joins = np.isfinite(px[:-1]).all(1) & np.isfinite(px[1:]).all(1)  # consecutive points of one polyline
        a, b = clip_segments(px[:-1][joins], px[1:][joins], -1.0, float(self.size))
        if not len(a):
            return
        steps = np.ceil(np.abs(b - a).max(1)).astype(np.int64)  # at most ~1.4 x size + 2 each, after clipping
        segment = np.repeat(np.arange(len(a)), steps + 1)
        starts = np.cumsum(steps + 1) - (steps + 1)
        s = (np.arange(len(segment)) - starts[segment]) / np.maximum(steps[segment], 1)
        points = a[segment] + s[:, None] * (b - a)[segment]
        self.paint(points[:, 0] - (width - 1) / 2, points[:, 1] - (width - 1) / 2, colour, brush=width)


def side_by_side(panels: list[Panel], gap: int = 8, columns: int | None = None) -> Image.Image:
    """Panels in a grid of `columns` (default: one row)."""
    columns = columns or len(panels)
    rows = -(-len(panels) // columns)
    images = [panel.image for panel in panels]
    w, h = images[0].size
    sheet = Image.new("RGB", (columns * w + (columns - 1) * gap, rows * h + (rows - 1) * gap), "white")
    for k, image in enumerate(images):
        sheet.paste(image, ((k % columns) * (w + gap), (k // columns) * (h + gap)))
    return sheet


def samples_frame(models: dict, samples: dict, real: np.ndarray, extent, size: int = 250) -> Image.Image:
    panels = []
    for family, model in models.items():
        panel = Panel(extent, size, sample_title(model.label, model.steps, samples[family], extent))
        panel.dots(real, DATA_GREY)
        panel.dots(samples[family], rgb(family))
        panels.append(panel)
    return side_by_side(panels)


def curves_frame(models: dict, width: int = 250, height: int = 130) -> Image.Image:
    """Each model's losses (solid) and high-quality share (dotted, 0 to 1), each curve scaled to its own range."""
    panels = []
    for family, model in models.items():
        panel = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(panel)
        draw.text((width / 2, 9), fitted(model.label, width - 6, 13), fill=(60, 60, 60), font=font(), anchor="mm")
        draw.rectangle((0, 18, width - 1, height - 1), outline=(225, 225, 225))
        history = model.history
        steps = np.asarray(history["step"], float)
        palette = [ImageColor.getrgb(c) for c in loss_colours(family)]
        for k, key in enumerate(loss_keys(history)):
            values = np.asarray(history[key], float)
            if len(values) >= 2:
                _polyline(draw, steps, values, width, height, palette[k % len(palette)])
        quality = model.metric_history.get("high_quality")
        if quality and len(quality) >= 2:
            _polyline(draw, np.asarray(model.metric_history["step"], float), np.asarray(quality), width, height,
                      (0, 0, 0), fixed=(0.0, 1.0))
        panels.append(panel)
    sheet = Image.new("RGB", (len(panels) * (width + 8) - 8, height), "white")
    for k, panel in enumerate(panels):
        sheet.paste(panel, (k * (width + 8), 0))
    return sheet


def _polyline(draw, x, y, width, height, colour, fixed=None):
    stride = max(1, len(x) // width)
    x, y = x[::stride], y[::stride]
    finite = np.isfinite(y)
    x, y = x[finite], y[finite]
    if len(x) < 2:
        return
    low, high = fixed or (np.percentile(y, 1), np.percentile(y, 99))
    u = (x - x.min()) / max(x.max() - x.min(), 1e-12) * (width - 9) + 4
    v = height - 5 - np.clip((y - low) / max(high - low, 1e-12), 0, 1) * (height - 28)
    draw.line(list(zip(u.tolist(), v.tolist())), fill=colour, width=1)


def gan_picture(view: views.InsideView, real, samples, extent, size: int) -> Image.Image:
    d = view.data
    left = Panel(extent, size, "D(x): yellow = 'real'; arrows: G's push")
    left.heat(d["d_map"]["d"], VIRIDIS, 0, 1)
    left.dots(real, (255, 255, 255))
    left.lines(*arrows(d["pushed"], d["push"], 0.12 * (extent[1] - extent[0])), RGB["gan"])
    left.dots(d["pushed"], RGB["gan"], radius=2)
    right = Panel(extent, size, "a grid of z under G")
    right.dots(real, DATA_GREY)
    right.lines(*joined(d["grid"]), RGB["gan"])
    return side_by_side([left, right])


def vae_picture(view: views.InsideView, real, samples, extent, size: int) -> Image.Image:
    panel = Panel(extent, size, "decoder mean over a z grid, and samples")
    panel.dots(real, DATA_GREY)
    panel.dots(samples["vae"], (158, 202, 225))
    panel.lines(*joined(view.data["grid"]), (8, 48, 107))
    return panel.image


def diffusion_picture(view: views.InsideView, real, samples, extent, size: int) -> Image.Image:
    field = view.data["field"]
    panel = Panel(extent, size, f"denoising field at t = {view.data['t']}")
    panel.dots(real, DATA_GREY)
    panel.lines(*arrows(field["x"], field["pull"], 0.5), RGB["ddpm"])
    panel.dots(field["x"], RGB["ddpm"], radius=2)
    return panel.image


def flow_picture(view: views.InsideView, real, samples, extent, size: int) -> Image.Image:
    stages = view.data["stages"]
    panels = []
    for k, lines in enumerate(stages):
        panel = Panel(extent, 200, "z ~ N(0, I)" if k == 0 else f"after layer {k}")
        if k == len(stages) - 1:
            panel.dots(real, DATA_GREY)
        panel.lines(*joined(lines), RGB["flow"])
        panels.append(panel)
    return side_by_side(panels, columns=5)


def ebm_picture(view: views.InsideView, real, samples, extent, size: int) -> Image.Image:
    e, chains = view.data["landscape"]["energy"], view.data["chains"]
    panel = Panel(extent, size, "energy (dark = low) and Langevin chains")
    panel.heat(e, ENERGY, float(np.percentile(e, 2)), float(np.percentile(e, 98)))
    panel.dots(real, (255, 255, 255))
    for k in range(chains.shape[1]):
        panel.lines(chains[:, k, 0], chains[:, k, 1], RGB["ebm"], width=2)
    panel.dots(chains[-1], (120, 40, 0), radius=3)
    return panel.image


PICTURES = {"gan": gan_picture, "vae": vae_picture, "ddpm": diffusion_picture, "flow": flow_picture,
            "ebm": ebm_picture}  # one per family of gen_core.labs.playground.INSIDE_VIEWS (a test checks)


def inside_frame(view: views.InsideView, real: np.ndarray, samples: dict, extent, size: int = 320) -> Image.Image:
    """The 'look inside' view (gen_core.labs.playground.inside_view) as a picture (ui.point_figures: as a figure)."""
    return PICTURES[view.family](view, real, samples, extent, size)


DIVERGING = np.array([(33, 102, 172), (247, 247, 247), (178, 24, 43)], float)  # less 'real' / no change / more


def half_step_frame(result: dict, real: np.ndarray, extent, size: int = 300) -> Image.Image:
    """GAN slow motion (gen_core.labs.playground.LiveModel.half_step): a D step as D(x) before, after and the change;
    a G step as the samples moving over D's unchanged map, each sample's move drawn as a line (magnified so the
    longest is a tenth of the plot: one step moves them little)."""
    before, after, colour = result["before"], result["after"], RGB["gan"]
    if result["network"] == "D":
        panels = []
        for title, d in (("D(x) before the D step", before["d"]), ("D(x) after it", after["d"])):
            panel = Panel(extent, size, title)
            panel.heat(d, VIRIDIS, 0, 1)
            panel.dots(real, (255, 255, 255))
            panel.dots(after["samples"], colour, radius=2)
            panels.append(panel)
        change = after["d"] - before["d"]
        reach = max(1e-6, float(np.abs(change).max()))
        panel = Panel(extent, size, f"change: red up, blue down (max {reach:.3f})")
        panel.heat(change, DIVERGING, -reach, reach)
        panel.dots(real, DATA_GREY)
        panels.append(panel)
        return side_by_side(panels)
    moves = after["samples"] - before["samples"]
    longest = max(1e-9, float(np.linalg.norm(moves, axis=1).max()))
    gain = 0.1 * (extent[1] - extent[0]) / longest
    panel = Panel(extent, size, f"G step: samples move (x{gain:.0f})")
    panel.heat(after["d"], VIRIDIS, 0, 1)
    panel.dots(real, (255, 255, 255))
    ends = before["samples"] + gain * moves
    xs = np.stack([before["samples"][:, 0], ends[:, 0], np.full(len(moves), np.nan)], 1).ravel()
    ys = np.stack([before["samples"][:, 1], ends[:, 1], np.full(len(moves), np.nan)], 1).ravel()
    panel.lines(xs, ys, (255, 160, 160))
    panel.dots(ends, colour, radius=2)
    return panel.image
