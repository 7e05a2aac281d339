"""The VAE Explorer's map of latent space: a Vega-Lite (Altair) scatter whose clicks come back as selections.

Vega-Lite rather than Plotly, for speed where people feel it: the map is the first thing the page shows, and
Streamlit loads Plotly's 4.7 MB bundle on the first Plotly chart of a visit. In headless Chromium on a 2-core VM a bare
app's 2,000-point Plotly scatter was drawn 3.4 s after its title, the same points through Vega-Lite 0.9-1.2 s after;
on the page, a fresh server's first map moved from 5.5-5.9 s to 3.4-3.6 s (`python bench/map_first_render.py`).

Clicking anywhere picks something: behind the dots lies a grid of invisible cells (index -1), so a click on empty
space picks the cell under it and decodes its centre. The picked dot gets a black ring, a picked cell a black
outline. The wheel zooms; with shift held, a drag pans and a double click resets the view (without shift, each
would end in a pick). A map with that grid is drawn on a canvas, not as SVG (`map_chart` says why); browser tests
find its dots by hovering (`bench/map_first_render.find_on_map`).
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

SELECTION = "pick"  # the selection parameter's name: Streamlit reports clicks under it
PLACE = -1          # the index of a grid point: "empty space here"
PICK_ON = "click[!event.shiftKey]"
PAN_ON = "[pointerdown[event.shiftKey], window:pointerup] > window:pointermove!"
RESET_ON = "dblclick[event.shiftKey]"  # a plain double click is two picks


def map_rows(coords: np.ndarray, labels: np.ndarray, class_names, tips=None) -> pd.DataFrame:
    """One row per test point: x, y, class name, index, tooltip (`tips`, one text per point, or "class · test #i")."""
    coords = np.asarray(coords, dtype=np.float64)
    names = np.asarray([str(n) for n in class_names], dtype=object)
    dots = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "class": names[np.asarray(labels)],
                         "index": np.arange(len(coords))})
    dots["tip"] = dots["class"] + " · test #" + dots["index"].astype(str) if tips is None else \
        pd.Series(tips, dtype=object).astype(str).to_numpy()
    return dots


def place_cells(coords: np.ndarray, steps: int) -> pd.DataFrame:
    """A steps x steps grid of cells covering the dots with a 5% margin, one row per cell: its centre (x, y, the
    place a click there decodes), its edges (x0, x1, y0, y1) and index PLACE."""
    coords = np.asarray(coords, dtype=np.float64)
    low, high = coords.min(0), coords.max(0)
    pad = (high - low) * 0.05
    ex, ey = (np.linspace(low[a] - pad[a], high[a] + pad[a], steps + 1) for a in (0, 1))
    i, j = (g.ravel() for g in np.meshgrid(np.arange(steps), np.arange(steps)))
    return pd.DataFrame({"x": (ex[i] + ex[i + 1]) / 2, "y": (ey[j] + ey[j + 1]) / 2, "x0": ex[i], "x1": ex[i + 1],
                         "y0": ey[j], "y1": ey[j + 1], "index": PLACE})


def map_chart(coords: np.ndarray, labels: np.ndarray, class_names, title: str, *, grid_steps: int = 40,
              path: np.ndarray | None = None, marks: dict[str, tuple[float, float]] | None = None,
              height: int = 560, tips=None) -> alt.LayerChart:
    """The map: dots coloured by class over a grid_steps x grid_steps grid of invisible cells of places (both
    clickable, with the SELECTION parameter; no grid when grid_steps < 2), an optional walk `path` (T, 2) as a black
    line, and `marks` (label -> place) as labelled crosses."""
    names = [str(n) for n in class_names]
    # The view moves with shift held: a plain drag keeps the same point under the pointer, so its closing click
    # would pick it. Clicks with shift (the end of a pan, a reset) are not picks.
    # Without cells of places, a click picks the dot nearest to it (a Voronoi over the dots); with them, what it hits.
    pick = alt.selection_point(name=SELECTION, fields=["index", "x", "y"], on=PICK_ON, nearest=grid_steps < 2,
                               clear=False, toggle=False)
    view = alt.selection_interval(bind="scales", translate=PAN_ON, zoom="wheel!", clear=RESET_ON)
    x = alt.X("x:Q", title=None, scale=alt.Scale(zero=False))
    y = alt.Y("y:Q", title=None, scale=alt.Scale(zero=False))
    picked_stroke = alt.condition(pick, alt.value("black"), alt.value("transparent"), empty=False)
    # A dot's transparent stroke, 5 px wide until it is picked, widens what a click on it must hit (a 7 px disc).
    dots = alt.Chart(map_rows(coords, labels, names, tips)).mark_circle(clip=True).encode(
        x=x, y=y,
        color=alt.Color("class:N", scale=alt.Scale(domain=names), title="class",
                        legend=alt.Legend(orient="right", symbolStrokeWidth=0)),
        size=alt.value(42), opacity=alt.value(0.8), stroke=picked_stroke,
        strokeWidth=alt.condition(pick, alt.value(2.5), alt.value(5), empty=False),
        tooltip=alt.Tooltip("tip:N"),  # one field, not a list: the tooltip shows the text without a "tip" key
    )
    layers = [dots]
    if grid_steps >= 2:
        cells = alt.Chart(place_cells(coords, grid_steps)).mark_rect(fill="transparent", clip=True) \
            .encode(x=alt.X("x0:Q", title=None, scale=alt.Scale(zero=False)), x2="x1:Q",
                    y=alt.Y("y0:Q", title=None, scale=alt.Scale(zero=False)), y2="y1:Q",
                    stroke=picked_stroke, strokeWidth=alt.value(2), tooltip=alt.value("decode here"))
        layers = [cells, dots]  # the cells first: the dots are drawn on top
    if path is not None:
        walk = pd.DataFrame({"x": path[:, 0], "y": path[:, 1], "step": np.arange(len(path))})
        layers.append(alt.Chart(walk).mark_line(color="black", strokeWidth=2, clip=True, point=alt.OverlayMarkDef(
            color="black", size=16)).encode(x=x, y=y, order="step:Q"))
    if marks:
        placed = pd.DataFrame([{"x": float(px), "y": float(py), "label": label} for label, (px, py) in marks.items()])
        base = alt.Chart(placed).encode(x=x, y=y)
        layers += [base.mark_point(shape="cross", size=220, filled=True, color="black", clip=True),
                   base.mark_text(dy=-14, fontSize=15, fontWeight="bold", color="black", clip=True)
                   .encode(text="label:N")]
    # Altair attaches both parameters to the first layer, and that is enough: a point selection takes whatever item
    # a click lands on in the chart, a dot or a cell (one selection over two layers is refused by Vega-Lite).
    chart = alt.layer(*layers).add_params(pick, view)
    # aria off: Vega would otherwise write a screen-reader label for each of the ~2,000 marks (the invisible grid
    # included) before drawing; the chart keeps its accessible name, the title.
    # With the grid of places behind the dots the map is drawn on a canvas: as SVG its ~2,000 marks were ~2,000
    # elements for Chromium to style and lay out on every new projection (with the Voronoi cells of Vega-Lite's
    # `nearest` that the grid used to be picked by, a change of projection 0.40 s as SVG, 0.25-0.28 s on a canvas;
    # `python bench/interactions.py --only vae_explorer`). Hover, tooltips, clicks and zoom are Vega's own on either.
    renderer = "canvas" if grid_steps >= 2 else "svg"
    return chart.properties(title=title, height=height, usermeta={"embedOptions": {"renderer": renderer}}) \
        .configure(aria=False)


def picked(event) -> dict | None:
    """The clicked point from st.altair_chart's event: {"index": test index or PLACE, "x": ..., "y": ...}, or
    None before any click."""
    chosen = (event or {}).get("selection", {}).get(SELECTION) or []
    if not chosen:
        return None
    point = chosen[0]
    return {"index": int(point["index"]), "x": float(point["x"]), "y": float(point["y"])}


def encode_picks(picks: list) -> str | None:
    """Map clicks for the URL: a test index as itself, a place as x,y; separated by ';' (None when there are none)."""
    if not picks:
        return None
    return ";".join(str(int(p)) if isinstance(p, (int, np.integer)) else f"{p[0]:.4f},{p[1]:.4f}" for p in picks)


def decode_picks(text: str, test_size: int) -> list:
    """encode_picks' inverse, checked: at most two, indices within the test set, places finite. Raises ValueError
    with what is wrong."""
    parts = [part.strip() for part in str(text).split(";") if part.strip()]
    if not 1 <= len(parts) <= 2:
        raise ValueError("give one or two clicks, separated by ';'")
    picks = []
    for part in parts:
        if "," in part:
            try:
                x, y = (float(v) for v in part.split(","))
            except ValueError:
                raise ValueError(f"a place is two numbers, x,y (not {part[:30]!r})") from None
            if not (np.isfinite(x) and np.isfinite(y)) or max(abs(x), abs(y)) > 1e6:
                raise ValueError("a place's coordinates must be finite numbers of a sensible size")
            picks.append((x, y))
        else:
            if not part.isdigit() or int(part) >= test_size:
                raise ValueError(f"a test image is a number from 0 to {test_size - 1} (not {part[:30]!r})")
            picks.append(int(part))
    return picks
