"""The map of a latent space (the VAE Explorer's, and Your embeddings'): dots coloured by class to click, drawn on a
canvas by GenLab's own small component (ui/latent_map.js, through Streamlit's components v2, in the page itself).

Not Vega-Lite, which drew it until December 2026, for speed where people feel it: the map is the first thing the
VAE Explorer shows, and a Vega-Lite chart costs every new visitor Vega's ~1 MB of scripts to load, compile and run
before the first dot appears: ~0.5 s of Chromium's main thread on this 2-core VM, whatever the number of dots (a
3-point chart cost the same as the 1,960-point map). It held the page's first load at 1.6-1.7x a bare Streamlit
page with the same sidebar (the issue's bar: 1.5x); a bare page with the same dots drawn by this component loads
like the bare page itself (1.34 s against 1.29 s, `python bench/interactions.py` and the session notes). Plotly
costs more (its 4.7 MB bundle). Before Vega-Lite the map was Plotly: 5.5-5.9 s to a fresh server's first map.

What a visitor does is what Vega-Lite's map let them do: hovering shows what a click there picks ("3 · test #12",
or "decode here" over empty space); a click picks the dot under the pointer (within 7 px of its centre) or, where
the map takes places, the place itself (index PLACE), exactly where it was clicked; the picked dot gets a black
ring, a picked place a black square. The wheel zooms; with shift held, a drag pans and a double click resets the
view (without shift, each would end in a pick). The pick comes back to Python as the component's state value.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import streamlit as st

PLACE = -1          # the index of a picked place: "empty space here"
# The tooltip's look; the canvas draws everything else (bench and browser tests find both by these classes). Not isolated in a shadow root, so that Playwright's and the
# bench's page scripts find the canvas and its tooltip as visitors' browsers show them.
CSS = """
.genlab-map { position: relative; width: 100%; }
.genlab-map canvas { display: block; cursor: crosshair; touch-action: manipulation; }  /* a finger still scrolls the page */
.genlab-map-tip { position: absolute; display: none; pointer-events: none; padding: 3px 7px; border-radius: 4px;
  background: rgba(255, 255, 255, 0.95); border: 1px solid #ccc; font-size: 13px; white-space: nowrap; z-index: 2; }
.genlab-map-tip.visible { display: block; }
.genlab-map-thumb { display: none; image-rendering: pixelated; background-repeat: no-repeat; margin: 2px 0 4px; }
"""
_COMPONENT = st.components.v2.component("genlab.latent_map", js=(Path(__file__).with_suffix(".js")).read_text(),
                                        css=CSS, isolate_styles=False)


def map_data(coords: np.ndarray, labels: np.ndarray, class_names, title: str, *, places: bool = True,
             clickable: bool = True, path: np.ndarray | None = None,
             marks: dict[str, tuple[float, float]] | None = None, tips=None, height: int = 560, font: int = 13,
             legend_title: str = "class", view_id: str = "", picked: dict | None = None,
             thumbs: dict | None = None) -> dict:
    """What the component draws, as plain lists (coordinates rounded to 5 significant digits: ~40 KB for 2,000 dots):
    dots at `coords` (N, 2) coloured by `labels` (indices into `class_names`); `tips`, one text per dot, or the
    component's own "class · test #i"; an optional walk `path` (T, 2) and `marks` (label -> place) as crosses;
    `picked` drawn as picked. A new `view_id` resets the visitor's zoom. `thumbs` (`test_set_thumbs`): the sprite
    sheet the tooltip cuts each hovered dot's image from."""
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] != 2 or not np.isfinite(coords).all():
        raise ValueError("a map needs finite (N, 2) coordinates")
    labels = np.asarray(labels)

    def rounded(values) -> list[float]:
        return [float(f"{v:.5g}") for v in np.asarray(values, dtype=np.float64).ravel()]

    return {"x": rounded(coords[:, 0]), "y": rounded(coords[:, 1]), "c": [int(v) for v in labels],
            "names": [str(n) for n in class_names], "tips": None if tips is None else [str(t) for t in tips],
            "title": str(title), "height": int(height), "font": int(font), "legend_title": legend_title,
            "places": bool(places), "clickable": bool(clickable), "view_id": str(view_id),
            "path": None if path is None else [rounded(p) for p in np.asarray(path)],
            "marks": [{"label": str(k), "x": float(x), "y": float(y)} for k, (x, y) in (marks or {}).items()],
            "picked": picked, "thumbs": thumbs}


THUMB_ROUTE = "genlab/thumbnails"  # app.py serves GET /genlab/thumbnails/NAME/PAGE.png: SPRITE_PAGE test images
THUMB_SCALE = 3                    # a 28x28 image shown 84 px a side in the tooltip (8x8 digits: 24 px... x3)


def test_set_thumbs(dataset) -> dict | None:
    """What the map's tooltip needs to show each test image (a registered image set's, in dataset order), or None
    for sets app.py does not serve (image folders, points)."""
    from gen_core.render import SPRITE_COLUMNS, SPRITE_PAGE, SPRITE_SETS
    if dataset.name not in SPRITE_SETS or dataset.kind != "image":
        return None
    side = int(dataset.shape[-1])
    return {"url": f"{THUMB_ROUTE}/{dataset.name}/", "side": side, "columns": SPRITE_COLUMNS, "page": SPRITE_PAGE,
            "count": len(dataset.x_test), "scale": max(THUMB_SCALE, -(-84 // side))}


def show_map(data: dict, *, key: str) -> dict | None:
    """Draw the map (`map_data`) and return the last pick in this browser ({"index": dot or PLACE, "x", "y"}), or
    None before any. A click reruns the fragment the map is in."""
    result = _COMPONENT(data=data, key=key, on_pick_change=lambda: None, width="stretch")
    return picked(result.get("pick"), len(data["x"]))


def picked(value, size: int) -> dict | None:
    """A pick as the browser sent it, checked (it comes from outside): a dot's index below `size` or PLACE, finite
    x and y of a sensible size; None for anything else."""
    if not isinstance(value, dict):
        return None
    try:
        index, x, y = int(value["index"]), float(value["x"]), float(value["y"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if not (index == PLACE or 0 <= index < size) or not sensible_place(x, y):
        return None
    return {"index": index, "x": x, "y": y}


def sensible_place(x: float, y: float) -> bool:
    """A place a map can have come from: finite, within a million of the origin (a click, or a link's x,y)."""
    return math.isfinite(x) and math.isfinite(y) and max(abs(x), abs(y)) <= 1e6


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
            if not sensible_place(x, y):
                raise ValueError("a place's coordinates must be finite numbers of a sensible size")
            picks.append((x, y))
        else:
            if not part.isdigit() or int(part) >= test_size:
                raise ValueError(f"a test image is a number from 0 to {test_size - 1} (not {part[:30]!r})")
            picks.append(int(part))
    return picks
