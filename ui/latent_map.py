"""The VAE Explorer's map of latent space: a Vega-Lite (Altair) scatter whose clicks come back as selections.

Vega-Lite rather than Plotly, for speed where people feel it: the map is the first thing the page shows, and
Streamlit loads Plotly's 4.7 MB bundle on the first Plotly chart of a visit. In headless Chromium on a 2-core VM a bare
app's 2,000-point Plotly scatter was drawn 3.4 s after its title, the same points through Vega-Lite 0.9-1.2 s after;
on the page, a fresh server's first map moved from 5.5-5.9 s to 3.4-3.6 s (`python bench/map_first_render.py`).

Clicking anywhere picks something: behind the dots lies a grid of invisible points (index -1), and the selection
takes the point nearest the click (Vega-Lite's `nearest`, a Voronoi over dots and grid), so a click on empty space
picks that place. The picked point gets a black ring. The wheel zooms; with shift held, a drag pans and a double click
resets the view (without shift, each would end in a pick). A map with that grid is drawn on a canvas, not as SVG
(`map_chart` says why); browser tests find its dots by hovering (`bench/map_first_render.find_on_map`).
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


def map_rows(coords: np.ndarray, labels: np.ndarray, class_names, grid_steps: int, tips=None) -> pd.DataFrame:
    """One row per test point (index >= 0) and per grid point (index = PLACE): x, y, class name, tooltip (`tips`,
    one text per point, or "class · test #i")."""
    coords = np.asarray(coords, dtype=np.float64)
    names = np.asarray([str(n) for n in class_names], dtype=object)
    dots = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "class": names[np.asarray(labels)],
                         "index": np.arange(len(coords))})
    dots["tip"] = dots["class"] + " · test #" + dots["index"].astype(str) if tips is None else \
        pd.Series(tips, dtype=object).astype(str).to_numpy()
    if grid_steps < 2:
        return dots
    low, high = coords.min(0), coords.max(0)
    pad = (high - low) * 0.05
    gx, gy = np.meshgrid(np.linspace(low[0] - pad[0], high[0] + pad[0], grid_steps),
                         np.linspace(low[1] - pad[1], high[1] + pad[1], grid_steps))
    grid = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel(), "class": "", "index": PLACE, "tip": "decode here"})
    return pd.concat([grid, dots], ignore_index=True)  # grid first: the dots are drawn on top


def map_chart(coords: np.ndarray, labels: np.ndarray, class_names, title: str, *, grid_steps: int = 40,
              path: np.ndarray | None = None, marks: dict[str, tuple[float, float]] | None = None,
              height: int = 560, tips=None) -> alt.LayerChart:
    """The map: dots coloured by class (clickable, with the SELECTION parameter), an optional walk `path` (T, 2) as
    a black line, and `marks` (label -> place) as labelled crosses."""
    names = [str(n) for n in class_names]
    # The view moves with shift held: a plain drag keeps the same point under the pointer, so its closing click
    # would pick it. Clicks with shift (the end of a pan, a reset) are not picks.
    pick = alt.selection_point(name=SELECTION, fields=["index", "x", "y"], on=PICK_ON, nearest=True, clear=False,
                               toggle=False)
    view = alt.selection_interval(bind="scales", translate=PAN_ON, zoom="wheel!", clear=RESET_ON)
    x = alt.X("x:Q", title=None, scale=alt.Scale(zero=False))
    y = alt.Y("y:Q", title=None, scale=alt.Scale(zero=False))
    is_place = "datum.index < 0"
    dots = alt.Chart(map_rows(coords, labels, names, grid_steps, tips)).mark_circle(stroke="black", clip=True).encode(
        x=x, y=y,
        color=alt.condition(is_place, alt.value("transparent"),
                            alt.Color("class:N", scale=alt.Scale(domain=names), title="class",
                                      legend=alt.Legend(orient="right", symbolStrokeWidth=0))),
        size=alt.condition(is_place, alt.value(12), alt.value(42)),
        opacity=alt.condition(is_place, alt.value(1.0), alt.value(0.8)),
        strokeWidth=alt.condition(pick, alt.value(2.5), alt.value(0), empty=False),
        tooltip=alt.Tooltip("tip:N"),  # one field, not a list: the tooltip shows the text without a "tip" key
    ).add_params(pick, view)
    layers = [dots]
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
    # aria off: Vega would otherwise write a screen-reader label for each of the ~2,000 marks (the invisible grid
    # included) before drawing; the chart keeps its accessible name, the title.
    # With the grid behind the dots the map is drawn on a canvas: as SVG its ~2,000 marks and their ~2,000 Voronoi
    # cells were ~4,000 elements for Chromium to style and lay out on every new projection (a change of projection
    # 0.40 -> 0.28 s median, the page's first load 1.7x -> 1.4x the bare page; `python bench/interactions.py --only
    # vae_explorer`). Hover, tooltips, clicks and zoom are Vega's own on either renderer.
    renderer = "canvas" if grid_steps >= 2 else "svg"
    return alt.layer(*layers).properties(title=title, height=height, usermeta={"embedOptions": {"renderer": renderer}}) \
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
