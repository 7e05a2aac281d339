"""Playback of recorded frames in the browser: `player_html` is a page (shown with `st.iframe`) to which the
frames go once, and a few lines of JavaScript in it play, pause, step and scrub them at the chosen speed, with no
round trip to the server per frame.

A server-driven player (a fragment that reruns on a timer to show the next frame) managed 1.5-2 frames a second on
a busy 2-core server; this one plays at whatever speed the viewer picks (up to 30 frames a second) however busy
the server is. Everything is inline (data: URIs, no external script), so it works offline.
"""
from __future__ import annotations

import base64
import html
import json

from PIL import Image

from gen_core.render import png_bytes

SPEEDS = (2, 5, 10, 15, 30)  # frames per second offered; 10 is the default


def data_uri(image: Image.Image) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def player_html(frames: list[Image.Image], captions: list[str], fps: int = 10, start: int | None = None,
                label: str = "Playback", url_key: str | None = None) -> str:
    """A self-contained HTML page that plays `frames` (with one caption each) at `fps` frames a second. With
    `url_key`, the frame it stops on is written to the page's address (?url_key=K, 1-based), so Copy link hands the
    very frame on; the page passes that number back as `start`."""
    if not frames or len(frames) != len(captions):
        raise ValueError("player_html needs one caption per frame, and at least one frame")
    start = len(frames) - 1 if start is None else max(0, min(start, len(frames) - 1))
    width, height = frames[0].size
    speeds = "".join(f'<option value="{s}"{" selected" if s == fps else ""}>{s} frames/s</option>' for s in SPEEDS)
    # json.dumps, then escaping "</" so no caption can close the <script> element
    payload = json.dumps({"frames": [data_uri(f) for f in frames], "captions": captions, "start": start,
                          "fps": fps, "urlKey": url_key}).replace("</", "<\\/")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><style>
  body {{ margin: 0; font-family: "Source Sans Pro", sans-serif; color: #31333f; }}
  .bar {{ display: flex; gap: 6px; align-items: center; margin: 6px 0; flex-wrap: wrap; }}
  button, select {{ font: inherit; padding: 4px 10px; border: 1px solid rgba(128, 128, 128, .45); border-radius: 8px;
                    background: transparent; color: inherit; cursor: pointer; }}
  button.primary {{ background: #ff4b4b; color: white; border-color: #ff4b4b; min-width: 84px; }}
  input[type=range] {{ flex: 1; min-width: 160px; accent-color: #ff4b4b; }}
  img {{ image-rendering: pixelated; max-width: 100%; height: auto; display: block; }}
  .caption {{ font-size: 14px; opacity: .8; margin-top: 4px; }}
  .count {{ font-variant-numeric: tabular-nums; min-width: 70px; text-align: right; }}
</style></head><body>
<div class="bar" role="group" aria-label="{html.escape(label)}">
  <button id="play" class="primary" title="Play / pause (space)">&#9654; Play</button>
  <button id="first" title="First frame">|&#9664;</button>
  <button id="back" title="One frame back (left arrow)">&#9664;</button>
  <button id="forward" title="One frame forward (right arrow)">&#9654;</button>
  <button id="last" title="Last frame">&#9654;|</button>
  <input id="scrub" type="range" min="0" max="{len(frames) - 1}" value="{start}" aria-label="Frame">
  <span id="count" class="count"></span>
  <select id="speed" aria-label="Speed">{speeds}</select>
</div>
<img id="frame" width="{width}" height="{height}" alt="{html.escape(label)}">
<div id="caption" class="caption"></div>
<script>
// The page's own text colour (light or dark theme, whichever the visitor chose): this frame is a separate document
// and would otherwise keep its dark default text on a dark page.
try {{ document.body.style.color = getComputedStyle(window.parent.document.body).color; }} catch (e) {{}}
const data = {payload};
const img = document.getElementById("frame"), scrub = document.getElementById("scrub");
const caption = document.getElementById("caption"), count = document.getElementById("count");
const play = document.getElementById("play"), speed = document.getElementById("speed");
const last = data.frames.length - 1;
let k = data.start, timer = null;
function show(i) {{
  k = Math.max(0, Math.min(last, i));
  img.src = data.frames[k]; scrub.value = k;
  caption.textContent = data.captions[k]; count.textContent = "frame " + (k + 1) + " of " + (last + 1);
}}
function remember() {{  // the frame in the address bar (the parent page's, same origin); nowhere if that is refused
  if (!data.urlKey) return;
  try {{
    const url = new URL(window.parent.location.href);
    url.searchParams.set(data.urlKey, String(k + 1));
    window.parent.history.replaceState(window.parent.history.state, "", url);
  }} catch (e) {{}}
}}
function stop() {{ clearInterval(timer); timer = null; play.innerHTML = "&#9654; Play"; remember(); }}
function start() {{
  if (k >= last) show(0);
  play.innerHTML = "&#10074;&#10074; Pause";
  timer = setInterval(() => {{ if (k >= last) stop(); else show(k + 1); }}, 1000 / Number(speed.value));
}}
play.onclick = () => timer ? stop() : start();
speed.onchange = () => {{ if (timer) {{ stop(); start(); }} }};
document.getElementById("first").onclick = () => {{ stop(); show(0); }};
document.getElementById("last").onclick = () => {{ stop(); show(last); }};
document.getElementById("back").onclick = () => {{ stop(); show(k - 1); }};
document.getElementById("forward").onclick = () => {{ stop(); show(k + 1); }};
scrub.oninput = () => {{ stop(); show(Number(scrub.value)); }};
document.addEventListener("keydown", (e) => {{
  if (e.key === " ") {{ e.preventDefault(); timer ? stop() : start(); }}
  if (e.key === "ArrowLeft") {{ stop(); show(k - 1); }}
  if (e.key === "ArrowRight") {{ stop(); show(k + 1); }}
}});
data.frames.forEach((src) => {{ const pre = new Image(); pre.src = src; }});  // decode all before playing
show(k);
</script></body></html>"""

