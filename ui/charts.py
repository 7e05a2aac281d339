"""Small charts for a page's first view: Vega-Lite (Altair), or a picture where even Vega-Lite costs too much.
Streamlit loads Plotly's 4.7 MB bundle with the first Plotly chart a browser tab shows; a page whose first tab needs
none opens faster (the VAE map moved to Vega-Lite for the same reason, see DEVELOPERS.md)."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont


def histogram_chart(groups: dict[str, np.ndarray], title: str, x_title: str, bins: int = 30) -> alt.Chart:
    """Overlaid histograms of several samples of one quantity, each normalised to a density (area 1), on shared
    bins, so groups of different sizes compare."""
    values = np.concatenate([np.asarray(v, float) for v in groups.values()])
    edges = np.histogram_bin_edges(values, bins=bins)
    rows = []
    for name, v in groups.items():
        density, _ = np.histogram(np.asarray(v, float), bins=edges, density=True)
        rows += [{"group": name, "start": a, "end": b, "density": d} for a, b, d in zip(edges[:-1], edges[1:], density)]
    names = list(groups)
    palette = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"][:len(names)]
    return (alt.Chart(pd.DataFrame(rows), title=title, height=300)
            .mark_rect(opacity=0.55)
            .encode(x=alt.X("start:Q", title=x_title), x2="end:Q",
                    y=alt.Y("density:Q", title="probability density"), y2=alt.datum(0),
                    color=alt.Color("group:N", title=None, scale=alt.Scale(domain=names, range=palette),
                                    legend=alt.Legend(orient="bottom")),
                    tooltip=["group:N", alt.Tooltip("start:Q", format=".2f"), alt.Tooltip("density:Q", format=".3f")]))


# ASCII titles: Pillow's default font has no Greek letters
SCHEDULE_PANELS = (("beta", "beta_t: noise added at step t", "log"), ("abar", "abar_t: signal kept", "linear"),
                   ("snr", "SNR(t) = abar_t / (1 - abar_t)", "log"))
SCHEDULE_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44))


def schedule_picture(schedules: dict[str, dict[str, np.ndarray]], t: int, font_px: int = 13,
                     panel: tuple[int, int] = (300, 230)) -> Image.Image:
    """β_t, ᾱ_t and SNR(t) of each noise schedule ({name: make_schedule's arrays}) side by side, t marked by a dashed
    line and a dot on each curve, as one picture. (As a Vega-Lite chart it cost the Diffusion Theater's first load
    0.45 s: 2.15 s against 1.68 s without it, bench/interactions.py.) Log axes are labelled in powers of ten."""
    font = ImageFont.load_default(size=font_px)
    small = ImageFont.load_default(size=max(10, font_px - 2))
    width, height = panel
    left, right, top, bottom = int(3.2 * font_px) + 14, font_px, font_px + 14, font_px + 14
    names = list(schedules)
    sheet = Image.new("RGB", (3 * width, height + font_px + 16), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (key, title, scale) in enumerate(SCHEDULE_PANELS):
        x0, x1, y0, y1 = k * width + left, (k + 1) * width - right, top, height - bottom
        curves = {name: np.asarray(values[key], float) for name, values in schedules.items()}
        steps = len(next(iter(curves.values())))
        if scale == "log":
            everything = np.concatenate([c[c > 0] for c in curves.values()])
            low, high = np.floor(np.log10(everything.min())), np.ceil(np.log10(everything.max()))
            to_y = lambda v: np.log10(np.clip(v, 10 ** low, 10 ** high))  # noqa: E731
            ticks = [(p, f"1e{int(p)}") for p in np.arange(low, high + 1, max(1, int(high - low) // 4))]
        else:
            low, high = 0.0, 1.0
            to_y = lambda v: np.asarray(v, float)  # noqa: E731
            ticks = [(v, f"{v:g}") for v in (0.0, 0.5, 1.0)]

        def px(step, value):
            u = x0 + (np.asarray(step, float) / max(steps - 1, 1)) * (x1 - x0)
            v = y1 - (to_y(value) - low) / max(high - low, 1e-12) * (y1 - y0)
            return u, v

        draw.rectangle((x0, y0, x1, y1), outline=(210, 210, 210))
        for value, label in ticks:
            _, v = px(0, 10 ** value if scale == "log" else value)
            draw.line((x0, v, x1, v), fill=(238, 238, 238))
            draw.text((x0 - 4, v), label, fill=(90, 90, 90), font=small, anchor="rm")
        for step, anchor in ((0, "lt"), ((steps - 1) // 2, "mt"), (steps - 1, "rt")):  # ends inside the panel
            u, _ = px(step, 10 ** low if scale == "log" else 0)
            draw.text((u, y1 + 4), str(step), fill=(90, 90, 90), font=small, anchor=anchor)
        u_t, _ = px(t, 10 ** low if scale == "log" else 0)
        for v in range(int(y0), int(y1), 8):  # the dashed line at t
            draw.line((u_t, v, u_t, min(v + 4, y1)), fill=(130, 130, 130))
        for name, colour in zip(names, SCHEDULE_COLOURS):
            stride = max(1, steps // 400)
            us, vs = px(np.arange(0, steps, stride), curves[name][::stride])
            draw.line(list(zip(us.tolist(), vs.tolist())), fill=colour, width=2)
            u, v = px(t, curves[name][t])
            draw.ellipse((u - 4, v - 4, u + 4, v + 4), fill=colour)
        draw.text(((x0 + x1) / 2, 4), title, fill=(40, 40, 40), font=font, anchor="mt")
    x = 3 * width // 2 - 70 * len(names) // 2
    for name, colour in zip(names, SCHEDULE_COLOURS):  # the legend
        y = height + 6 + font_px // 2
        draw.line((x, y, x + 22, y), fill=colour, width=3)
        draw.text((x + 28, y), name, fill=(40, 40, 40), font=font, anchor="lm")
        x += 40 + int(font.getlength(name))
    return sheet
