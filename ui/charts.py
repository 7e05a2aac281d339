"""Small charts for a page's first view, drawn as pictures with Pillow: Streamlit loads Plotly's 4.7 MB bundle with
the first Plotly chart a browser tab shows, Vega's 0.8 MB with the first Vega-Lite chart; a page whose first tab
needs neither opens faster (the VAE map needs Vega-Lite for its clicks, see DEVELOPERS.md). And `legible`, which
every Plotly and Altair chart passes through: projector mode's font sizes."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont


HISTOGRAM_COLOURS = ((214, 39, 40), (31, 119, 180), (44, 160, 44), (148, 103, 189))


def densities_on_shared_bins(groups: dict[str, np.ndarray], bins: int = 30) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each group's histogram normalised to a density (area 1) on bins shared by all, so groups of different sizes
    compare: (edges (bins + 1,), {name: density (bins,)})."""
    values = np.concatenate([np.asarray(v, float) for v in groups.values()])
    edges = np.histogram_bin_edges(values, bins=bins)
    return edges, {name: np.histogram(np.asarray(v, float), bins=edges, density=True)[0] for name, v in groups.items()}


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) inside [low, high], about `count` of them."""
    span = max(high - low, 1e-12)
    raw = span / max(count - 1, 1)
    power = 10 ** np.floor(np.log10(raw))
    step = power * min((1, 2, 5, 10), key=lambda m: abs(m * power - raw))
    return np.round(np.arange(np.ceil(low / step) * step, high + step * 1e-9, step), 12) + 0.0  # + 0.0: no "-0"


def histogram_picture(groups: dict[str, np.ndarray], title: str, x_title: str, bins: int = 30, font_px: int = 13,
                      size: tuple[int, int] = (520, 330)) -> Image.Image:
    """Overlaid, translucent histograms of several samples of one quantity (`densities_on_shared_bins`), with axes,
    a title and a legend, as one picture. (As a Vega-Lite chart it was the only one on the GAN Studio's first tab,
    and Streamlit loads Vega's 0.8 MB bundle for the first Vega-Lite chart a browser tab shows.)"""
    edges, densities = densities_on_shared_bins(groups, bins)
    font, small = ImageFont.load_default(size=font_px), ImageFont.load_default(size=max(10, font_px - 2))
    width, height = size
    x0, x1, y0, y1 = int(3.4 * font_px) + 10, width - font_px, 2 * font_px + 8, height - 4 * font_px - 14
    top = max(float(max(d.max() for d in densities.values())), 1e-12) * 1.05
    to_u = lambda v: x0 + (np.asarray(v, float) - edges[0]) / max(edges[-1] - edges[0], 1e-12) * (x1 - x0)  # noqa: E731
    to_v = lambda d: y1 - np.asarray(d, float) / top * (y1 - y0)  # noqa: E731
    sheet = Image.new("RGBA", size, "white")
    draw = ImageDraw.Draw(sheet)
    for value in nice_ticks(0, top):
        v = float(to_v(value))
        draw.line((x0, v, x1, v), fill=(238, 238, 238))
        draw.text((x0 - 4, v), f"{value:g}", fill=(90, 90, 90), font=small, anchor="rm")
    for value in nice_ticks(edges[0], edges[-1]):
        u = float(to_u(value))
        draw.line((u, y1, u, y1 + 4), fill=(150, 150, 150))
        draw.text((u, y1 + 6), f"{value:g}", fill=(90, 90, 90), font=small, anchor="mt")
    for (name, density), colour in zip(densities.items(), HISTOGRAM_COLOURS):  # translucent: overlaps stay visible
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        bars = ImageDraw.Draw(layer)
        for a, b, d in zip(to_u(edges[:-1]), to_u(edges[1:]), density):
            if d > 0:
                bars.rectangle((float(a), float(to_v(d)), float(b), y1), fill=(*colour, 140))
        sheet.alpha_composite(layer)
    draw = ImageDraw.Draw(sheet)
    draw.rectangle((x0, y0, x1, y1), outline=(200, 200, 200))
    draw.text(((x0 + x1) / 2, 4), title, fill=(40, 40, 40), font=font, anchor="mt")
    draw.text(((x0 + x1) / 2, y1 + font_px + 10), x_title, fill=(60, 60, 60), font=small, anchor="mt")
    draw.text((x0, y0 - 3), "probability density", fill=(60, 60, 60), font=small, anchor="ls")
    x, y = x0, height - font_px - 4
    for name, colour in zip(densities, HISTOGRAM_COLOURS):  # the legend
        draw.rectangle((x, y - 6, x + 14, y + 6), fill=colour)
        draw.text((x + 20, y), name, fill=(40, 40, 40), font=font, anchor="lm")
        x += 40 + int(font.getlength(name))
    return sheet.convert("RGB")


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


PROJECTOR_FONT_PX = 18  # ticks, legends and axis titles on a wall: the smallest a back row reads


def legible(chart):
    """A Plotly figure or an Altair chart as the sidebar's projector mode wants it: every text of the chart (ticks,
    legend, axis and chart titles) at PROJECTOR_FONT_PX or more, laid out for that size by the library itself (a
    stylesheet could enlarge the SVG text but not make room for it). Unchanged outside projector mode."""
    from ui.settings import projector

    if not projector():
        return chart
    size = PROJECTOR_FONT_PX
    if hasattr(chart, "update_layout"):  # Plotly
        chart.update_layout(font_size=size, legend_font_size=size, title_font_size=size + 2)
        chart.update_xaxes(tickfont_size=size, title_font_size=size)
        chart.update_yaxes(tickfont_size=size, title_font_size=size)
        return chart
    if hasattr(chart, "configure_axis"):  # Altair (layered and concatenated charts configure at the top)
        return (chart.configure_axis(labelFontSize=size, titleFontSize=size)
                .configure_legend(labelFontSize=size, titleFontSize=size)
                .configure_title(fontSize=size + 2))
    return chart


def lines(frame, x_title: str, y_title: str, height: int = 180):
    """An Altair line chart of a DataFrame's columns against its index (one colour per column, a legend), both axes
    titled: what st.line_chart draws, but a chart `legible` can enlarge in projector mode."""
    import altair as alt

    index = frame.index.name or "index"
    long = frame.reset_index().melt(index, var_name="series", value_name="value")
    return legible(alt.Chart(long, height=height).mark_line().encode(
        x=alt.X(f"{index}:Q", title=x_title), y=alt.Y("value:Q", title=y_title),
        color=alt.Color("series:N", title=None)))


def bars(labels: list[str], counts: list[int], label_title: str, count_title: str):
    """Horizontal Altair bars, one per label in the given order, both axes titled (the class's tally)."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame({"label": labels, "count": counts})
    return legible(alt.Chart(frame, height=40 + 36 * len(labels)).mark_bar().encode(
        y=alt.Y("label:N", sort=list(labels), title=label_title),
        x=alt.X("count:Q", title=count_title, axis=alt.Axis(tickMinStep=1))))


# Vega-Lite charts (Altair's) have no download of their own in Streamlit; Plotly's toolbar has "Download plot as a
# PNG". This script gives every Vega-Lite chart on the page a small "PNG" button that draws the chart's own SVG onto a
# canvas at twice its size and saves it: in the browser, offline, in the theme the visitor sees. A MutationObserver
# adds the button to charts drawn later (tabs, fragments).
SAVE_VEGA_AS_PNG = """
<script>
(() => {
  if (window.genlabVegaPng) return;  // once per page: Streamlit may run this block again on a rerun
  window.genlabVegaPng = true;
  const save = (chart, button) => {
    const svg = chart.querySelector("svg.marks");
    if (!svg) return;
    const box = svg.getBoundingClientRect(), scale = 2;
    const clone = svg.cloneNode(true);
    clone.setAttribute("width", box.width); clone.setAttribute("height", box.height);
    const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(clone)], {type: "image/svg+xml"}));
    const picture = new Image();
    picture.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = box.width * scale; canvas.height = box.height * scale;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = getComputedStyle(svg).backgroundColor || getComputedStyle(document.body).backgroundColor;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      const link = document.createElement("a");
      link.download = "genlab-chart.png"; link.href = canvas.toDataURL("image/png"); link.click();
    };
    picture.src = url;
  };
  const equip = () => document.querySelectorAll('[data-testid="stVegaLiteChart"]').forEach((chart) => {
    if (chart.parentElement.querySelector(":scope > .genlab-chart-png")) return;
    const button = document.createElement("button");
    button.type = "button"; button.className = "genlab-chart-png"; button.textContent = "PNG";
    button.title = "Download this chart as a PNG picture";
    button.addEventListener("click", () => save(chart, button));
    chart.parentElement.appendChild(button);
  });
  new MutationObserver(equip).observe(document.body, {childList: true, subtree: true});
  equip();
})();
</script>
<style>
  .genlab-chart-png { font: inherit; font-size: .8rem; padding: 1px 8px; margin-top: 2px; border-radius: .4rem;
    border: 1px solid rgba(128, 128, 128, .45); background: transparent; color: inherit; cursor: pointer; }
  .genlab-chart-png:hover { border-color: #ff4b4b; color: #ff4b4b; }
</style>
"""
