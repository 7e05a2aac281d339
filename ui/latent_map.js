// GenLab's map of a latent space (ui/latent_map.py says why it is drawn here and not by Vega-Lite): dots coloured
// by class on a canvas, a legend, axes with round ticks, a tooltip naming what a click at the pointer picks, an
// optional walk (a black line) and labelled crosses. A click picks the dot under the pointer or, where the map
// takes places, the place itself; the pick goes back to Python as the state value `pick` ({index, x, y}, index -1
// for a place). The wheel zooms; with shift held, a drag pans and a double click resets the view (without shift
// each would end in a pick).
//
// Streamlit calls this function on every render with the element's data; what the visitor did to the view (zoom,
// pan) is kept on the host element while the map's `view_id` stays the same.

const PALETTE = ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#ffd16a",
                 "#6d3fc0", "#d5dae5"];  // Streamlit's categorical colours, as its Vega-Lite charts use
const HIT_PX = 7;       // a click within this distance of a dot's centre picks the dot
const DOT_PX = 3.5;

function niceStep(span, count) {
  const raw = span / Math.max(1, count), power = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / power;
  return power * (unit >= 5 ? 10 : unit >= 2 ? 5 : unit >= 1 ? 2 : 1);
}

function ticks(low, high, count) {
  const step = niceStep(high - low, count), out = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return {values: out, digits: Math.max(0, -Math.floor(Math.log10(step) + 1e-9))};
}

function extent(values, pad) {
  let low = Infinity, high = -Infinity;
  for (const v of values) { if (v < low) low = v; if (v > high) high = v; }
  if (!(high > low)) { low -= 1; high += 1; }
  const margin = (high - low) * pad;
  return [low - margin, high + margin];
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let root = parentElement.querySelector(".genlab-map");
  if (!root) {
    root = document.createElement("div");
    root.className = "genlab-map";
    root.innerHTML = '<canvas role="img"></canvas>' +
      '<div class="genlab-map-tip"><div class="genlab-map-thumb"></div><span></span></div>';
    parentElement.appendChild(root);
  }
  const canvas = root.querySelector("canvas"), tip = root.querySelector(".genlab-map-tip");
  const tipText = tip.querySelector("span"), thumb = tip.querySelector(".genlab-map-thumb");
  if (root.__abort) root.__abort.abort();  // the listeners of the previous render
  const abort = new AbortController(), on = {signal: abort.signal};
  root.__abort = abort;

  const xs = data.x, ys = data.y, classes = data.c, names = data.names, n = xs.length;
  const font = data.font || 13, height = data.height || 560;
  if (root.__viewId !== data.view_id || !root.__home) {
    root.__viewId = data.view_id;
    const allX = xs.concat((data.path || []).map(p => p[0]), (data.marks || []).map(m => m.x));
    const allY = ys.concat((data.path || []).map(p => p[1]), (data.marks || []).map(m => m.y));
    root.__home = {x: extent(allX, 0.05), y: extent(allY, 0.05)};
    root.__view = {x: root.__home.x.slice(), y: root.__home.y.slice()};
    root.__picked = null;
  }
  // The server's pick (one restored from a link) is drawn until the visitor picks something here: on a rerun after
  // a click, the server may not have taken the click up yet.
  if (!root.__picked && data.picked) root.__picked = data.picked;
  canvas.setAttribute("aria-label", data.title || "map");

  const style = getComputedStyle(root);
  const textColour = style.color || "#31333f", family = style.fontFamily || "sans-serif";
  let legendWidth = 0;  // measured by draw(): the widest class name or the legend's title
  let box = null;  // the plot's rectangle in CSS pixels, set by draw()

  const toScreen = (x, y) => [box.left + (x - root.__view.x[0]) / (root.__view.x[1] - root.__view.x[0]) * box.width,
                              box.top + (root.__view.y[1] - y) / (root.__view.y[1] - root.__view.y[0]) * box.height];
  const toData = (px, py) => [root.__view.x[0] + (px - box.left) / box.width * (root.__view.x[1] - root.__view.x[0]),
                              root.__view.y[1] - (py - box.top) / box.height * (root.__view.y[1] - root.__view.y[0])];

  function draw() {
    const width = Math.max(200, root.clientWidth || 600), ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
      canvas.style.width = width + "px"; canvas.style.height = height + "px";
    }
    const ctx = canvas.getContext("2d");
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (names.length > 1) {
      ctx.font = `${font}px ${family}`;
      let widest = Math.max(...names.map(name => ctx.measureText(String(name)).width));
      ctx.font = `bold ${font}px ${family}`;
      widest = Math.max(widest + 16, ctx.measureText(data.legend_title || "class").width);
      legendWidth = 16 + Math.min(width / 3, widest);
    }
    const titleHeight = data.title ? font * 2 : 4;
    box = {left: font * 3.4, top: titleHeight + 6, width: 0, height: 0};
    box.width = width - box.left - legendWidth - 12;
    box.height = height - box.top - font * 2;
    ctx.fillStyle = textColour;
    if (data.title) {
      ctx.font = `bold ${font + 2}px ${family}`;
      ctx.textBaseline = "top";
      ctx.fillText(data.title, 0, 2);
    }
    // Axes: grid lines and round ticks in data units (for UMAP and t-SNE the units mean nothing but distance).
    ctx.font = `${font - 1}px ${family}`;
    ctx.strokeStyle = "#e6e6e6"; ctx.lineWidth = 1;
    const tx = ticks(root.__view.x[0], root.__view.x[1], Math.max(2, box.width / 70));
    const ty = ticks(root.__view.y[0], root.__view.y[1], Math.max(2, box.height / 45));
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of tx.values) {
      const [sx] = toScreen(v, 0);
      ctx.beginPath(); ctx.moveTo(sx + 0.5, box.top); ctx.lineTo(sx + 0.5, box.top + box.height); ctx.stroke();
      ctx.fillText(v.toFixed(tx.digits), sx, box.top + box.height + 4);
    }
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of ty.values) {
      const [, sy] = toScreen(0, v);
      ctx.beginPath(); ctx.moveTo(box.left, sy + 0.5); ctx.lineTo(box.left + box.width, sy + 0.5); ctx.stroke();
      ctx.fillText(v.toFixed(ty.digits), box.left - 5, sy);
    }
    ctx.strokeStyle = "#c8c8c8";
    ctx.strokeRect(box.left + 0.5, box.top + 0.5, box.width, box.height);

    ctx.save();
    ctx.beginPath(); ctx.rect(box.left, box.top, box.width, box.height); ctx.clip();
    ctx.globalAlpha = 0.8;
    for (let i = 0; i < n; i++) {
      const [sx, sy] = toScreen(xs[i], ys[i]);
      ctx.fillStyle = PALETTE[classes[i] % PALETTE.length];
      ctx.beginPath(); ctx.arc(sx, sy, DOT_PX, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = "black"; ctx.fillStyle = "black";
    if (data.path && data.path.length) {
      ctx.lineWidth = 2; ctx.beginPath();
      data.path.forEach(([x, y], k) => { const [sx, sy] = toScreen(x, y); k ? ctx.lineTo(sx, sy) : ctx.moveTo(sx, sy); });
      ctx.stroke();
      for (const [x, y] of data.path) { const [sx, sy] = toScreen(x, y); ctx.beginPath(); ctx.arc(sx, sy, 2.5, 0, 2 * Math.PI); ctx.fill(); }
    }
    for (const mark of data.marks || []) {
      const [sx, sy] = toScreen(mark.x, mark.y);
      ctx.lineWidth = 3; ctx.beginPath();
      ctx.moveTo(sx - 7, sy); ctx.lineTo(sx + 7, sy); ctx.moveTo(sx, sy - 7); ctx.lineTo(sx, sy + 7); ctx.stroke();
      ctx.font = `bold ${font + 2}px ${family}`; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
      ctx.fillText(mark.label, sx, sy - 9);
    }
    const picked = root.__picked;
    if (picked) {  // the picked dot gets a black ring, a picked place a black square
      const [sx, sy] = toScreen(picked.x, picked.y);
      ctx.lineWidth = 2.5; ctx.beginPath();
      if (picked.index >= 0) ctx.arc(sx, sy, DOT_PX + 2, 0, 2 * Math.PI); else ctx.rect(sx - 6, sy - 6, 12, 12);
      ctx.stroke();
    }
    ctx.restore();

    if (legendWidth) {  // the legend: a title and one swatch per class (at most as many rows as fit)
      const left = width - legendWidth + 8, row = font + 5;
      ctx.fillStyle = textColour; ctx.font = `bold ${font}px ${family}`;
      ctx.textAlign = "left"; ctx.textBaseline = "middle";
      ctx.fillText(data.legend_title || "class", left, box.top + row / 2);
      const fit = Math.floor((box.height - row) / row), shown = names.length > fit ? fit - 1 : names.length;
      ctx.font = `${font}px ${family}`;
      for (let k = 0; k < shown; k++) {
        const cy = box.top + row * (k + 1.5);
        ctx.fillStyle = PALETTE[k % PALETTE.length];
        ctx.beginPath(); ctx.arc(left + 5, cy, 5, 0, 2 * Math.PI); ctx.fill();
        ctx.fillStyle = textColour; ctx.fillText(String(names[k]), left + 16, cy);
      }
      if (shown < names.length) ctx.fillText(`+ ${names.length - shown} more`, left, box.top + row * (shown + 1.5));
    }
    ctx.restore();
  }

  function pointer(event) {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }
  const inside = ([px, py]) => box && px >= box.left && px <= box.left + box.width && py >= box.top && py <= box.top + box.height;

  function dotAt([px, py]) {  // the nearest dot within HIT_PX of the pointer, or -1
    let best = -1, bestDistance = HIT_PX * HIT_PX;
    for (let i = 0; i < n; i++) {
      const [sx, sy] = toScreen(xs[i], ys[i]), d = (sx - px) ** 2 + (sy - py) ** 2;
      if (d <= bestDistance) { best = i; bestDistance = d; }
    }
    return best;
  }

  function pickAt(at) {  // what a click at `at` picks: {index, x, y}, or null
    if (!inside(at) || !data.clickable) return null;
    const i = dotAt(at);
    if (i >= 0) return {index: i, x: xs[i], y: ys[i]};
    if (!data.places) return null;
    const [x, y] = toData(...at);
    return {index: -1, x, y};
  }

  // The hovered dot's own image, cut from a sprite sheet of `page` test images that the browser fetches the first
  // time a dot of that page is hovered, then keeps (data.thumbs: the sheets' URL, image side, columns, page size,
  // count; app.py serves them). No sheets: text only.
  function showThumb(i) {
    const t = data.thumbs;
    if (!(t && i >= 0 && i < t.count)) { thumb.style.display = "none"; return; }
    const k = i % t.page, s = t.side * t.scale, col = k % t.columns, row = Math.floor(k / t.columns);
    thumb.style.width = s + "px";
    thumb.style.height = s + "px";
    thumb.style.backgroundImage = `url("${t.url}${Math.floor(i / t.page)}.png")`;
    thumb.style.backgroundSize = `${t.columns * s}px auto`;
    thumb.style.backgroundPosition = `-${col * s}px -${row * s}px`;
    thumb.style.display = "block";
  }

  // A click's coordinates are whole pixels in Chromium while pointer moves carry fractions, and on a dense map
  // (10,000 test images) half a pixel is another dot: a click picks what the tooltip named at the last move, when
  // the click lands within a pixel of it.
  let pan = null, downAt = null, hoveredAt = null;
  canvas.addEventListener("pointermove", event => {
    const at = pointer(event);
    hoveredAt = at;
    if (pan) {
      const [x0, y0] = toData(...pan.from), [x1, y1] = toData(...at);
      root.__view.x = root.__view.x.map(v => v - (x1 - x0));
      root.__view.y = root.__view.y.map(v => v - (y1 - y0));
      pan.from = at;
      draw();
      return;
    }
    const i = inside(at) ? dotAt(at) : -1;
    const text = i >= 0 ? (data.tips ? data.tips[i] : `${names[classes[i]]} · test #${i}`) :
      (inside(at) && data.clickable && data.places ? "decode here" : "");
    tipText.textContent = text;
    showThumb(i);
    tip.classList.toggle("visible", text !== "");
    if (text) { tip.style.left = (at[0] + 14) + "px"; tip.style.top = (at[1] + 14) + "px"; }
  }, on);
  canvas.addEventListener("pointerleave", () => tip.classList.remove("visible"), on);
  canvas.addEventListener("pointerdown", event => {
    downAt = pointer(event);
    if (!event.shiftKey) return;
    pan = {from: pointer(event)};
    canvas.setPointerCapture(event.pointerId);
  }, on);
  canvas.addEventListener("pointerup", () => { pan = null; }, on);
  canvas.addEventListener("click", event => {
    if (event.shiftKey) return;  // the end of a pan, or half of a reset
    const clicked = pointer(event);
    if (downAt && Math.hypot(clicked[0] - downAt[0], clicked[1] - downAt[1]) > 4) return;  // the end of a drag: no pick
    const near = hoveredAt && Math.abs(hoveredAt[0] - clicked[0]) <= 1 && Math.abs(hoveredAt[1] - clicked[1]) <= 1;
    const picked = pickAt(near ? hoveredAt : clicked);
    if (!picked) return;
    root.__picked = picked;
    draw();
    setStateValue("pick", picked);
  }, on);
  canvas.addEventListener("dblclick", event => {
    if (!event.shiftKey) return;
    root.__view = {x: root.__home.x.slice(), y: root.__home.y.slice()};
    draw();
  }, on);
  canvas.addEventListener("wheel", event => {
    const at = pointer(event);
    if (!inside(at)) return;
    event.preventDefault();
    const [cx, cy] = toData(...at), factor = Math.exp(event.deltaY * 0.002);
    root.__view.x = root.__view.x.map(v => cx + (v - cx) * factor);
    root.__view.y = root.__view.y.map(v => cy + (v - cy) * factor);
    draw();
  }, {signal: abort.signal, passive: false});
  const resize = new ResizeObserver(() => draw());
  resize.observe(root);
  abort.signal.addEventListener("abort", () => resize.disconnect());

  draw();
  return () => abort.abort();
}
