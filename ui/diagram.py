"""A family's diagram, drawn by the browser as SVG in the page (no iframe), with the current example's tensors in
its boxes and its equation beneath: hovering a box or clicking it names it and lights its terms in the equation;
hovering a term lights its boxes. Forward paths are solid; gradient paths (what a loss sends back) dashed red. Sizes
grow in projector mode. The pages build a `Diagram` per family from gen_core/labs/diagrams.py's values.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field

import streamlit as st
import torch
from PIL import Image

from gen_core import render
from ui.settings import projector

@dataclass
class Box:
    key: str                          # what equation terms and arrows name it by
    title: str                        # drawn in the box: "G(z)", "encoder"
    meaning: str                      # said when the box is hovered or clicked
    col: float                        # grid position (columns and rows of CELL pixels)
    row: float
    picture: Image.Image | None = None
    value: str = ""                   # a number or short text under the picture
    network: bool = False             # a network (drawn as a trapezoid-ish box, no picture) rather than a tensor


@dataclass
class Arrow:
    src: str
    dst: str
    label: str = ""
    gradient: bool = False            # a gradient path: dashed red, bowed to one side


@dataclass
class Diagram:
    title: str
    boxes: list[Box]
    arrows: list[Arrow]
    equation: list[list[tuple[str, str | None]]]   # lines of (text, box key or None); text is HTML-escaped
    caption: str = ""
    columns: int = field(default=0)


def picture(x: torch.Tensor, side: int = 72, signed: bool = False) -> Image.Image:
    """A (C, H, W) tensor as a crisp thumbnail about `side` pixels tall; `signed` maps (a gradient, a noise)
    are scaled by their largest magnitude first, so 0 is mid-grey."""
    x = x.detach().float().cpu()
    if signed:
        x = x / x.abs().max().clamp_min(1e-8)
    return render.to_pil(x.clamp(-1, 1), max(1, round(side / x.shape[-2])))


def vector_picture(v: torch.Tensor, side: int = 72) -> Image.Image:
    """A vector as a strip of grey cells (a latent z, mu): light positive, dark negative, scaled by its largest
    magnitude, wrapped into rows of 8."""
    v = v.detach().float().flatten().cpu()
    v = v / v.abs().max().clamp_min(1e-8)
    rows = math.ceil(len(v) / 8)
    padded = torch.cat([v, torch.zeros(rows * 8 - len(v))]).view(1, rows, 8)
    return render.to_pil(padded, max(1, round(side / 8)))


def _data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _border(px: float, py: float, ux: float, uy: float, width: float, height: float) -> tuple[float, float]:
    """Where the ray from a box's centre (px, py) along (ux, uy) leaves the box: arrows start and end at edges."""
    tx = (width / 2) / abs(ux) if ux else math.inf
    ty = (height / 2) / abs(uy) if uy else math.inf
    t = min(tx, ty)
    return px + ux * t, py + uy * t


def _svg(d: Diagram, scale: float, uid: str) -> str:
    cell_w, cell_h = 150 * scale, 150 * scale
    box_w, box_h = 118 * scale, 124 * scale
    font = 13 * scale
    columns = d.columns or (max(b.col for b in d.boxes) + 1)
    rows = max(b.row for b in d.boxes) + 1
    width, height = columns * cell_w, rows * cell_h
    where = {b.key: (b.col * cell_w + cell_w / 2, b.row * cell_h + cell_h / 2) for b in d.boxes}
    parts = [f'<svg class="genlab-diagram" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
             f'height="{height:.0f}" role="img" aria-label="{html.escape(d.title)}" '
             f'style="max-width:100%;height:auto;font-size:{font:.0f}px">',
             f'<defs><marker id="{uid}-head" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="{9 * scale:.0f}" markerHeight="{9 * scale:.0f}" '
             f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker>'
             f'<marker id="{uid}-grad" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="{9 * scale:.0f}" markerHeight="{9 * scale:.0f}" '
             f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#e8473e"/></marker></defs>']
    for a in d.arrows:
        (x1, y1), (x2, y2) = where[a.src], where[a.dst]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1
        ux, uy = dx / length, dy / length
        sx1, sy1 = _border(x1, y1, ux, uy, box_w, box_h)
        sx2, sy2 = _border(x2, y2, -ux, -uy, box_w, box_h)
        keys = f'{a.src} {a.dst}'
        if a.gradient:
            bow = 34 * scale
            mx, my = (sx1 + sx2) / 2 - uy * bow, (sy1 + sy2) / 2 + ux * bow
            parts.append(f'<path class="arrow grad" data-box="{keys}" d="M{sx1:.1f},{sy1:.1f} Q{mx:.1f},{my:.1f} '
                         f'{sx2:.1f},{sy2:.1f}" fill="none" stroke="#e8473e" stroke-width="{2 * scale:.1f}" '
                         f'stroke-dasharray="6 4" marker-end="url(#{uid}-grad)"/>')
            lx, ly = mx, my
        else:
            parts.append(f'<line class="arrow" data-box="{keys}" x1="{sx1:.1f}" y1="{sy1:.1f}" x2="{sx2:.1f}" '
                         f'y2="{sy2:.1f}" stroke="currentColor" stroke-width="{1.6 * scale:.1f}" '
                         f'marker-end="url(#{uid}-head)"/>')
            lx, ly = (sx1 + sx2) / 2 - uy * 10 * scale, (sy1 + sy2) / 2 + ux * 10 * scale - 4 * scale
        if a.label:
            parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" class="arrow-label" '
                         f'fill="{"#e8473e" if a.gradient else "currentColor"}">{html.escape(a.label)}</text>')
    for b in d.boxes:
        cx, cy = where[b.key]
        x0, y0 = cx - box_w / 2, cy - box_h / 2
        meaning = html.escape(b.meaning, quote=True)
        parts.append(f'<g class="box{" network" if b.network else ""}" data-box="{b.key}" data-meaning="{meaning}" '
                     f'tabindex="0"><title>{html.escape(b.title)}: {meaning}</title>')
        if b.network:
            inset = 14 * scale
            parts.append(f'<path class="frame" d="M{x0:.1f},{y0 + inset:.1f} L{x0 + box_w:.1f},{y0:.1f} '
                         f'L{x0 + box_w:.1f},{y0 + box_h:.1f} L{x0:.1f},{y0 + box_h - inset:.1f} Z"/>')
        else:
            parts.append(f'<rect class="frame" x="{x0:.1f}" y="{y0:.1f}" width="{box_w:.1f}" height="{box_h:.1f}" '
                         f'rx="{8 * scale:.1f}"/>')
        parts.append(f'<text x="{cx:.1f}" y="{y0 + 17 * scale:.1f}" text-anchor="middle" class="title">'
                     f'{html.escape(b.title)}</text>')
        if b.picture is not None:
            side = 72 * scale
            w = side * b.picture.width / b.picture.height
            if w > box_w - 8 * scale:
                w, side = box_w - 8 * scale, (box_w - 8 * scale) * b.picture.height / b.picture.width
            parts.append(f'<image href="{_data_uri(b.picture)}" x="{cx - w / 2:.1f}" y="{y0 + 26 * scale:.1f}" '
                         f'width="{w:.1f}" height="{side:.1f}" style="image-rendering:pixelated"/>')
        if b.value:
            parts.append(f'<text x="{cx:.1f}" y="{y0 + box_h - 9 * scale:.1f}" text-anchor="middle" class="value">'
                         f'{html.escape(b.value)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _equation(d: Diagram) -> str:
    lines = []
    for line in d.equation:
        spans = "".join(f'<span class="term" data-term="{key}">{text}</span>' if key else text for text, key in line)
        lines.append(f'<div class="line">{spans}</div>')
    return "".join(lines)


# Streamlit's st.html sanitises its markup with the HTML profile, which drops SVG; the script draws it instead, from
# the markup passed as a JSON string (the browser parses it as SVG inside the page, no iframe).
SCRIPT = """
(function draw(tries) {
  const root = document.getElementById(%s);
  if (!root) { if (tries < 100) setTimeout(() => draw(tries + 1), 50); return; }  // not in the page yet
  if (root.dataset.ready) return;
  root.dataset.ready = "1";
  root.querySelector(".drawing").innerHTML = %s;
  const info = root.querySelector(".info");
  const keysOf = (el) => (el.dataset.box || el.dataset.term || "").split(" ");
  const light = (keys, on) => root.querySelectorAll("[data-box], [data-term]").forEach((el) => {
    if (keysOf(el).some((k) => keys.includes(k))) el.classList.toggle("on", on);
  });
  const say = (box) => { info.textContent = box.querySelector("title").textContent; };
  root.querySelectorAll("g.box").forEach((box) => {
    const keys = keysOf(box);
    box.addEventListener("mouseenter", () => { light(keys, true); say(box); });
    box.addEventListener("mouseleave", () => light(keys, false));
    box.addEventListener("focus", () => { light(keys, true); say(box); });
    box.addEventListener("blur", () => light(keys, false));
    box.addEventListener("click", () => { root.querySelectorAll(".on.pinned").forEach((e) => e.classList.remove("on", "pinned"));
      light(keys, true); root.querySelectorAll(".on").forEach((e) => e.classList.add("pinned")); say(box); });
  });
  root.querySelectorAll(".term").forEach((term) => {
    const keys = keysOf(term);
    term.addEventListener("mouseenter", () => light(keys, true));
    term.addEventListener("mouseleave", () => light(keys, false));
  });
})(0);
"""

STYLE = """
<style>
  .genlab-diagram-box { margin: .25rem 0 1rem; }
  .genlab-diagram-box .frame { fill: rgba(128,128,128,.08); stroke: currentColor; stroke-opacity: .55;
    stroke-width: 1.4; }
  .genlab-diagram-box g.box { cursor: pointer; outline: none; }
  .genlab-diagram-box g.network .frame { fill: rgba(0,104,201,.12); }
  .genlab-diagram-box g.box.on .frame { stroke: #ff4b4b; stroke-opacity: 1; stroke-width: 3; fill: rgba(255,75,75,.12); }
  .genlab-diagram-box .title { font-weight: 600; fill: currentColor; }
  .genlab-diagram-box .value { fill: currentColor; font-variant-numeric: tabular-nums; }
  .genlab-diagram-box .arrow-label { font-size: .85em; }
  .genlab-diagram-box .arrow.on { stroke-width: 3.5; }
  .genlab-diagram-box .equation { font-family: "Times New Roman", serif; font-size: 1.25em; margin-top: .4rem;
    line-height: 1.7; }
  .genlab-diagram-box .term { padding: 1px 4px; border-radius: 4px; border-bottom: 2px dotted rgba(128,128,128,.7);
    cursor: default; }
  .genlab-diagram-box .term.on { background: rgba(255,75,75,.22); border-bottom-color: #ff4b4b; }
  .genlab-diagram-box .info { min-height: 1.4em; opacity: .85; font-size: .95em; margin-top: .2rem; }
  .genlab-diagram-box.projector { font-size: 1.3rem; }
</style>
"""


def show(d: Diagram, key: str) -> None:
    """Draw the diagram, its equation and the line that names whatever is hovered or clicked (`key`: unique on
    the page, so a rerun with the same values leaves the drawing as it is)."""
    scale = 1.35 if projector() else 1.0
    uid = f"genlab-diagram-{key}"
    body = (f'<div id="{uid}" class="genlab-diagram-box{" projector" if projector() else ""}">'
            f'<div class="diagram-title"><b>{html.escape(d.title)}</b></div><div class="drawing"></div>'
            f'<div class="equation">{_equation(d)}</div>'
            f'<div class="info" role="status">Hover or click a box to name it and light its terms.</div></div>')
    # "<" written as \u003c: no "</script>" can end the script early, and DOMPurify (which st.html runs) removes a
    # script whose text holds markup-like "<svg" as a possible mutation-XSS carrier
    svg = json.dumps(_svg(d, scale, uid)).replace("<", "\\u003c")
    st.html(STYLE + body + f"<script>{SCRIPT % (json.dumps(uid), svg)}</script>", unsafe_allow_javascript=True)
    if d.caption:
        st.caption(d.caption)
